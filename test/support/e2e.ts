/**
 * End-to-end helpers: the pieces a test needs to run wasmgate's real decision path against real registries.
 *
 * - `writeOsvDir(dir)` — a tiny OSV database (a directory of RustSec records copied out of
 *   test/fixtures/vulns/rustsec-osv-all.zip) with RUSTSEC-2021-0003 (smallvec, CVSS 9.8: Critical).
 * - `cyclonedx(name, deps)` / `slsaProvenance(digest)` — the predicates the build pipeline would attest;
 *   `CLEAN_DEPS` and `VULNERABLE_DEPS` (the latter has smallvec 1.6.0, a Critical transitive dependency).
 * - `orasAttachBundle(ref, bundle)` — attaches a Sigstore bundle (e.g. made by @sigstore/mock) to a module in a
 *   real registry with `oras attach` (an OCI 1.1 referrer, or the tag schema on registries without the API).
 * - `writeE2eConfig(...)` — a wasmgate config file for a loopback registry, a trust section, the OSV dir.
 * - `runWasmgate(args)` — runs bin/wasmgate.js (check, evidence, …) and returns exit code and output.
 * - `startServe(config)` — spawns `wasmgate serve` and waits until it answers on TCP and on its socket.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { requireTool } from './tools.ts';
import { freePort } from './registries.ts';
import { check } from '../../src/cli/commands/check.ts';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WASMGATE_BIN = join(REPO, 'bin', 'wasmgate.js');
export const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export const MSG_SBOM = 'WASM module missing a valid CycloneDX SBOM attestation from the build pipeline.';
export const MSG_PROVENANCE = 'WASM module missing a valid SLSA provenance attestation.';
export const msgCritical = (n: number): string => `WASM module SBOM contains ${n} critical vulnerabilities.`;

/** The seed's pipeline identities with their roles (the demo trust). */
export const BUILD_REPO = 'myorg/payments-wasm';
export const SLSA_REPO = 'slsa-framework/slsa-github-generator';
export const KEYLESS_TRUST = [
  { subject: `https://github.com/${BUILD_REPO}/.github/workflows/build-wasm.yml@refs/heads/main`, issuer: 'https://token.actions.githubusercontent.com', roles: ['sbom', 'signature'] },
  {
    subject_regexp: 'https://github\\.com/slsa-framework/slsa-github-generator/\\.github/workflows/generator_(generic|container)_slsa3\\.yml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+',
    issuer: 'https://token.actions.githubusercontent.com',
    roles: ['provenance'],
  },
];

export const CLEAN_DEPS: Array<[string, string]> = [['anyhow', '1.0.89'], ['serde', '1.0.210'], ['smallvec', '1.13.2'], ['spin-sdk', '3.0.1']];
/** smallvec 1.6.0: RUSTSEC-2021-0003 (buffer overflow in SmallVec::insert_many), CVSS 9.8 */
export const VULNERABLE_DEPS: Array<[string, string]> = CLEAN_DEPS.map(([n, v]) => (n === 'smallvec' ? [n, '1.6.0'] : [n, v]));

const OSV_RECORDS = ['RUSTSEC-2021-0003.json', 'RUSTSEC-2018-0003.json', 'RUSTSEC-2019-0009.json'];

/** Writes a small OSV directory (three RustSec smallvec records, one of them matching smallvec 1.6.0). */
export async function writeOsvDir(dir: string): Promise<string> {
  const zip = unzipSync(new Uint8Array(await readFile(join(REPO, 'test', 'fixtures', 'vulns', 'rustsec-osv-all.zip'))));
  await mkdir(dir, { recursive: true });
  for (const name of OSV_RECORDS) {
    const bytes = zip[name];
    if (!bytes) throw new Error(`${name} is not in test/fixtures/vulns/rustsec-osv-all.zip`);
    await writeFile(join(dir, name), bytes);
  }
  return dir;
}

export function cyclonedx(name: string, deps: Array<[string, string]>): Record<string, unknown> {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: { component: { type: 'application', 'bom-ref': `${name}@1.0.0`, name, version: '1.0.0' } },
    components: deps.map(([n, v]) => ({ type: 'library', 'bom-ref': `${n}@${v}`, name: n, version: v, purl: `pkg:cargo/${n}@${v}` })),
  };
}

export function slsaProvenance(digest: string): Record<string, unknown> {
  return {
    buildDefinition: {
      buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
      externalParameters: { workflow: { ref: 'refs/heads/main', repository: `https://github.com/${BUILD_REPO}`, path: '.github/workflows/build-wasm.yml' } },
      resolvedDependencies: [{ uri: `git+https://github.com/${BUILD_REPO}@refs/heads/main`, digest: { gitCommit: 'a'.repeat(40) } }],
    },
    runDetails: { builder: { id: `https://github.com/${SLSA_REPO}/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0` }, metadata: { invocationId: `e2e-${digest.slice(7, 19)}` } },
  };
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: options.cwd ?? REPO, env: { ...process.env, ...options.env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Runs the CLI (bin/wasmgate.js) with the test's Node; never throws on a non-zero exit. */
export function runWasmgate(args: string[]): Promise<ExecResult> {
  return exec(process.execPath, [WASMGATE_BIN, ...args], { env: { WASMGATE_LOG_LEVEL: 'error' } });
}

/** `oras attach` of a Sigstore bundle (JSON bytes) to `ref` (host/repo@sha256:…), over plain HTTP. */
export async function orasAttachBundle(ref: string, bundle: Uint8Array, predicateType: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'wasmgate-e2e-attach-'));
  await writeFile(join(work, 'bundle.json'), bundle);
  const r = await exec(requireTool('oras'), [
    'attach', '--plain-http', '--artifact-type', BUNDLE_V03,
    '--annotation', `dev.sigstore.bundle.predicateType=${predicateType}`,
    ref, `bundle.json:${BUNDLE_V03}`,
  ], { cwd: work });
  if (r.code !== 0) throw new Error(`oras attach failed: ${r.stderr}`);
}

/** `sha256:<hex of the SPKI DER>`: the id wasmgate gives a trusted key configured without `id`. */
export async function keyFingerprint(pubPemPath: string): Promise<string> {
  const spki = createPublicKey(await readFile(pubPemPath, 'utf8')).export({ format: 'der', type: 'spki' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

export interface E2eConfigOptions {
  dir: string;
  /** registry hosts (host:port) to allow and reach over plain HTTP */
  registries: string[];
  trust: Record<string, unknown>;
  osvDir: string;
  deadlineMs?: number;
  tcpPort?: number;
  socket?: string;
}

/** Writes `<dir>/wasmgate.yaml` (JSON is YAML) and returns its path. */
export async function writeE2eConfig(o: E2eConfigOptions): Promise<string> {
  const config = {
    labels: { app: 'wasmgate-e2e' },
    decision: { paths: ['wasm/sbom'], deadline_ms: o.deadlineMs ?? 5000 },
    listeners: { tcp: o.tcpPort !== undefined ? `127.0.0.1:${o.tcpPort}` : null, unix: o.socket ? { path: o.socket } : null },
    registries: { allow: o.registries, insecure: o.registries },
    trust: o.trust,
    // the test OSV data is a frozen copy (newest record 2026-08-21): no age limit here; staleness has its own tests
    vulnerability_db: { path: o.osvDir, max_age: null },
    persistence_directory: join(o.dir, 'persist'),
    decision_logs: { console: false },
  };
  const path = join(o.dir, 'wasmgate.yaml');
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

export interface RunningServe {
  url: string;
  /** the wasmgate process */
  pid: number;
  socket: string;
  output(): string;
  /** SIGTERM, then waits for the exit code */
  stop(): Promise<number | null>;
}

/** Polls `check` every 100 ms until it resolves true (a rejection counts as not yet); throws naming `what` after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One component's state under `plugins` in a running sidecar's /v1/status. */
export async function pluginState(s: RunningServe, name: string): Promise<{ state: string; message?: string }> {
  const body = (await (await fetch(`${s.url}/v1/status`)).json()) as { result: { plugins: Record<string, { state: string; message?: string }> } };
  const plugin = body.result.plugins[name];
  if (plugin === undefined) throw new Error(`${s.url}/v1/status shows no plugin ${name}`);
  return plugin;
}

/** Spawns `wasmgate serve --config <config>` on a free port and `<dir>/wasmgate.sock`. */
export async function startServe(configPath: string, socket: string, port: number): Promise<RunningServe> {
  return startServeWith(['--config', configPath], socket, port);
}

/**
 * Spawns `wasmgate serve <args>` (which must listen on 127.0.0.1:<port> and <socket>) and waits until it answers
 * `readyPath` (default `/health`) on TCP and its socket exists.
 */
export async function startServeWith(args: string[], socket: string, port: number, o: { readyPath?: string; timeoutMs?: number } = {}): Promise<RunningServe> {
  const child = spawn(process.execPath, [WASMGATE_BIN, 'serve', ...args], { cwd: REPO, env: { ...process.env, WASMGATE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { if (out.length < 65536) out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { if (out.length < 65536) out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + (o.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wasmgate serve exited early:\n${out}`);
    const ok = await fetch(`${url}${o.readyPath ?? '/health'}`).then((r) => r.ok, () => false);
    if (ok && existsSync(socket)) break;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`wasmgate serve did not come up:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: child.pid ?? 0,
    socket,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** A loopback port nothing listens on (bound, then released). */
export const closedPort = freePort;

/** curl (the real client) over TCP or `--unix-socket`; returns the HTTP status and body. */
export async function curlJson(args: string[]): Promise<{ status: number; body: string }> {
  const r = await exec(requireTool('curl'), ['-sS', '-w', '\n%{http_code}', ...args]);
  if (r.code !== 0) throw new Error(`curl failed (${r.code}): ${r.stderr}`);
  const nl = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(nl + 1)), body: r.stdout.slice(0, nl) };
}

/** `wasmgate check <ref> --config <config>` in this process: the exit code and the printed text. */
export async function checkInProcess(ref: string, config: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await check(ref, { config }, (s) => {
    out += s;
  });
  return { code, out };
}
