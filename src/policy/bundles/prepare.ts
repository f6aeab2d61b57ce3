import { readTarGz } from '../engine/archive.ts';
import { loadBundle, type LoadBundleOptions, type WasmBundle } from '../engine/engine.ts';
import { bundleError } from './error.ts';
import { assertSelfTests, parseSelfTests, runSelfTests, type SelfTestReport } from './selftest.ts';
import { verifyBundleSignatures, type SignatureReport, type VerificationConfig } from './signatures.ts';

export interface PrepareOptions extends Omit<LoadBundleOptions, 'name'> {
  name: string;
  /** undefined = no signature verification configured (a signed bundle is then refused, as OPA does) */
  verification?: VerificationConfig;
  /** roots of the other active bundles, by bundle name; a new bundle must not overlap them */
  otherRoots?: ReadonlyMap<string, readonly string[]>;
}

export interface PreparedBundle {
  bundle: WasmBundle;
  signature: SignatureReport;
  selftest: SelfTestReport;
  /** byte size of the .tar.gz */
  size: number;
}

/**
 * Everything a bundle must pass before it may become active, in order:
 * safe unpacking (gzip, tar, paths, links, size), signature (OPA's rules),
 * manifest, ABI, builtins and entrypoints (the engine), roots (inside their
 * own bundle and against other active bundles), then its self-tests.
 * Throws EngineError or BundleError naming the first problem.
 */
export async function prepareBundle(bytes: Uint8Array, options: PrepareOptions): Promise<PreparedBundle> {
  const { verification, otherRoots, ...load } = options;
  const files = await readTarGz(bytes, options.maxDecompressedBytes);
  const signature = await verifyBundleSignatures(files, verification);
  const cases = parseSelfTests(files);
  const bundle = await loadBundle(bytes, load);
  checkRoots(bundle, otherRoots ?? new Map());
  const selftest = runSelfTests(bundle, cases);
  assertSelfTests(selftest, options.name);
  return { bundle, signature, selftest, size: bytes.byteLength };
}

/** Checks that the entrypoints and data lie under the bundle's roots and that no other bundle owns them. */
export function checkRoots(bundle: WasmBundle, others: ReadonlyMap<string, readonly string[]>): void {
  const roots = bundle.manifest.roots.map(trimRoot);
  for (const e of bundle.entrypoints) {
    if (!roots.some((r) => isUnder(e, r))) {
      throw bundleError('BUNDLE_ROOTS_INVALID', `bundle ${bundle.name}: entrypoint ${e} lies outside the manifest roots [${roots.join(', ')}]; add its package to .manifest roots`);
    }
  }
  for (const path of dataPaths(bundle.data)) {
    if (!roots.some((r) => isUnder(path, r) || isUnder(r, path))) {
      throw bundleError('BUNDLE_ROOTS_INVALID', `bundle ${bundle.name}: data at ${path} lies outside the manifest roots [${roots.join(', ')}]`);
    }
  }
  for (const [other, otherRoots] of others) {
    if (other === bundle.name) continue;
    for (const r of roots) {
      const hit = otherRoots.map(trimRoot).find((o) => isUnder(r, o) || isUnder(o, r));
      if (hit !== undefined) {
        throw bundleError('BUNDLE_ROOTS_OVERLAP', `bundle ${bundle.name}: root "${r}" overlaps root "${hit}" of active bundle ${other}; give each bundle disjoint roots in its .manifest`, {
          details: { root: r, other, otherRoot: hit },
        });
      }
    }
  }
}

/** True when slash path `path` equals `root` or lies below it; the root "" covers everything. */
export function isUnder(path: string, root: string): boolean {
  const p = trimRoot(path);
  const r = trimRoot(root);
  return r === '' || p === r || p.startsWith(`${r}/`);
}

function trimRoot(r: string): string {
  return r.split('/').filter((s) => s !== '').join('/');
}

/** Top-level-to-leaf object paths of data, down to the first non-object (one path per leaf branch, bounded). */
function dataPaths(data: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown, at: string, depth: number): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 8 && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) visit(child, at === '' ? k : `${at}/${k}`, depth + 1);
    } else if (at !== '') out.push(at);
  };
  visit(data, '', 0);
  return out;
}
