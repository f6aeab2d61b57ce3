import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { messageOf } from '../../common/error.ts';
import { CliError } from '../error.ts';
import { PACKAGE_ROOT } from '../../common/paths.ts';
import { appendToTarGz } from '../../policy/bundles/tar.ts';
import { SELFTEST_DIR, parseSelfTests } from '../../policy/bundles/selftest.ts';
import { prepareBundle } from '../../policy/bundles/prepare.ts';

const execFileAsync = promisify(execFile);

/** Entrypoints compiled into the shipped bundle (issue 2): the package document, allow, deny. */
export const BUNDLE_ENTRYPOINTS: readonly string[] = Object.freeze(['wasm/sbom', 'wasm/sbom/allow', 'wasm/sbom/deny']);

const ROOT = PACKAGE_ROOT;

export interface BuildBundleOptions {
  /** policy source directory; default <repo>/policies */
  policiesDir?: string;
  /** output bundle; default <repo>/bundles/wasm-sbom.tar.gz, which is only overwritten with `force` */
  out?: string;
  /** overwrite the shipped bundles/wasm-sbom.tar.gz when `out` is not given (maintainers, after editing policies/) */
  force?: boolean;
  /** capabilities file; default <policiesDir>/capabilities.json */
  capabilities?: string;
  /** .manifest revision; default derived from the sources (`src-<sha256 prefix>`) */
  revision?: string;
  /** the opa binary; default `opa` on PATH (scripts/env.sh puts the pinned one first) */
  opa?: string;
  entrypoints?: readonly string[];
  /** self-test cases (`*.json`) copied into the bundle's tests/; default <policiesDir>/selftest when it exists */
  selftestDir?: string;
}

export interface BuildBundleResult {
  out: string;
  revision: string;
  entrypoints: readonly string[];
  /** number of self-test files added under tests/ */
  selftests: number;
  /** self-test cases run on the built bundle (all passed, or the build failed) */
  cases: number;
}

/** The shipped bundle (served when no `bundles:` are configured): `bundle build` overwrites it only when asked. */
export const SHIPPED_BUNDLE = join(ROOT, 'bundles', 'wasm-sbom.tar.gz');

/**
 * Keys the shipped policy no longer reads: who may sign what lives in the
 * sidecar's trust configuration (`roles:` on trust.keys[] / trust.keyless[]).
 * A data.json that still sets them would be silently ignored, so the build stops.
 */
const MOVED_TO_TRUST: readonly string[] = ['sbom_identity', 'provenance_identity', 'sbom_keys', 'provenance_keys'];

async function checkNoMovedKeys(policiesDir: string): Promise<void> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(join(policiesDir, 'data.json'), 'utf8'));
  } catch {
    return; // no data.json (or not JSON: opa build reports it)
  }
  const config = (data as { wasm?: { sbom?: { config?: unknown } } } | null)?.wasm?.sbom?.config;
  if (typeof config !== 'object' || config === null) return;
  const moved = MOVED_TO_TRUST.filter((k) => Object.hasOwn(config, k));
  if (moved.length > 0) {
    throw new CliError('BUNDLE_DATA_MOVED', `${join(policiesDir, 'data.json')}: wasm.sbom.config.${moved.join(', wasm.sbom.config.')} ${moved.length > 1 ? 'are' : 'is'} no longer read by the policy: who may sign what is configured once, in the sidecar config's trust: section (trust.keyless[].roles / trust.keys[].roles: [sbom, provenance, signature]; see docs/verification.md). Move the identities or keys there and remove ${moved.length > 1 ? 'these keys' : 'this key'} from data.json`);
  }
}

/**
 * Self-test files for the bundle: `opa build -b` keeps only the files OPA reads
 * (rego, data.json/yaml, wasm, manifest), so they are appended to its tar
 * afterwards, under tests/, in name order. Each must parse as self-test cases.
 */
async function selftestFiles(dir: string | undefined): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  if (dir === undefined) return files;
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => e.name).sort();
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return files;
    throw err;
  }
  for (const n of names) files.set(`${SELFTEST_DIR}/${n}`, await readFile(join(dir, n)));
  parseSelfTests(files);
  return files;
}

/** Files that go into the bundle (policy sources and data, not tests or the capabilities file). */
async function bundleSources(dir: string, capabilities: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.isFile() && resolve(p) !== resolve(capabilities)
        && ((e.name.endsWith('.rego') && !e.name.endsWith('_test.rego')) || /^data\.(json|ya?ml)$/.test(e.name))) out.push(p);
    }
  };
  await visit(dir);
  return out.sort();
}

/** A revision that changes exactly when the bundle's sources, capabilities or entrypoints change. */
export async function sourceRevision(dir: string, capabilities: string, entrypoints: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const file of [...(await bundleSources(dir, capabilities)), capabilities]) {
    h.update(relative(dir, file).split('\\').join('/')).update('\0').update(await readFile(file)).update('\0');
  }
  h.update(entrypoints.join('\n'));
  return `src-${h.digest('hex').slice(0, 16)}`;
}

/**
 * Builds the policy bundle with `opa build -t wasm -b`: the entrypoints, the
 * wasm-only capabilities file, tests excluded, unused rules pruned, and a
 * deterministic revision. Writes atomically (temp file, then rename).
 */
export async function buildBundle(options: BuildBundleOptions = {}): Promise<BuildBundleResult> {
  const policiesDir = resolve(options.policiesDir ?? join(ROOT, 'policies'));
  const out = resolve(options.out ?? SHIPPED_BUNDLE);
  if (options.out === undefined && options.force !== true && await access(out).then(() => true, () => false)) {
    throw new CliError('BUNDLE_OUTPUT_EXISTS', `${out} is the bundle wasmgate ships and serves when no bundles: are configured; refusing to overwrite it. Write your bundle elsewhere with --out <file> (e.g. --out build/wasm-sbom.tar.gz) and point bundles: at it, or pass --force to rebuild the shipped bundle after editing policies/`);
  }
  await checkNoMovedKeys(policiesDir);
  const capabilities = resolve(options.capabilities ?? join(policiesDir, 'capabilities.json'));
  const entrypoints = options.entrypoints ?? BUNDLE_ENTRYPOINTS;
  const revision = options.revision ?? (await sourceRevision(policiesDir, capabilities, entrypoints));
  const tmp = `${out}.tmp-${process.pid}`;
  const args = [
    'build', '-t', 'wasm', '-b', basename(policiesDir),
    ...entrypoints.flatMap((e) => ['-e', e]),
    '--prune-unused',
    '--capabilities', capabilities,
    '--ignore', '*_test.rego',
    '--ignore', 'capabilities.json',
    '-r', revision,
    '-o', tmp,
  ];
  const selftests = await selftestFiles(options.selftestDir === undefined ? join(policiesDir, 'selftest') : resolve(options.selftestDir));
  await mkdir(dirname(out), { recursive: true });
  try {
    // cwd = the policies dir's parent so the bundle's .rego paths do not depend on where the repo lives
    await execFileAsync(options.opa ?? 'opa', args, { cwd: dirname(policiesDir), maxBuffer: 16 * 1024 * 1024 });
    if (selftests.size > 0) await writeFile(tmp, appendToTarGz(await readFile(tmp), selftests));
  } catch (err) {
    await rm(tmp, { force: true });
    const { stderr, stdout } = err as { stderr?: unknown; stdout?: unknown };
    // opa reports compile errors on stdout, usage errors on stderr
    const said = [stderr, stdout].filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim());
    const detail = said.length > 0 ? said.join('\n') : messageOf(err);
    if ((err as { code?: unknown }).code === 'ENOENT' && (err as { path?: unknown }).path === (options.opa ?? 'opa')) {
      throw new CliError('OPA_NOT_FOUND', `bundle build needs OPA (it runs \`opa build -t wasm\`), and ${options.opa ?? '`opa`'} was not found${options.opa === undefined ? ' on PATH' : ''}: install OPA v1 (https://www.openpolicyagent.org/docs/#1-download-opa) and put it on PATH, pass --opa <path>, or in a clone of wasmgate source scripts/env.sh`, { cause: err });
    }
    throw new CliError('BUNDLE_BUILD_FAILED', `opa build failed for ${policiesDir}: ${detail}`, { cause: err });
  }
  // The checks an activation runs (manifest, ABI, builtins, entrypoints, roots, self-tests), so that a
  // bundle that would be refused is never written: BUNDLE_SELFTEST_FAILED names each failing case.
  let cases: number;
  try {
    cases = (await prepareBundle(await readFile(tmp), { name: basename(out), requiredEntrypoints: entrypoints })).cases.length;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await rename(tmp, out);
  return { out, revision, entrypoints, selftests: selftests.size, cases };
}
