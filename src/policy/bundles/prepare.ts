import { readTarGz } from '../engine/archive.ts';
import { loadBundle, withData, type LoadBundleOptions, type WasmBundle } from '../engine/engine.ts';
import { applyPatch, deltaDigest, deltaManifest, isDeltaBundle, parseDelta } from './delta.ts';
import { bundleError } from './error.ts';
import { isUnder, trimRoot } from './roots.ts';
import { assertSelfTests, parseSelfTests, runSelfTests, type SelfTestCase, type SelfTestReport } from './selftest.ts';
import { verifyBundleSignatures, type SignatureReport, type VerificationConfig } from './signatures.ts';

export interface PrepareOptions extends Omit<LoadBundleOptions, 'name'> {
  name: string;
  /** undefined = no signature verification configured (a signed bundle is then refused, as OPA does) */
  verification?: VerificationConfig;
  /** roots of the other active bundles, by bundle name; a new bundle must not overlap them */
  otherRoots?: ReadonlyMap<string, readonly string[]>;
  /** the active snapshot a delta bundle is applied to; without it a delta bundle is refused */
  active?: PreparedBundle | null;
}

export interface PreparedBundle {
  bundle: WasmBundle;
  signature: SignatureReport;
  selftest: SelfTestReport;
  /** byte size of the .tar.gz */
  size: number;
  /** OPA's bundle type: a full snapshot, or a delta (patch.json) applied to the active snapshot */
  type: 'snapshot' | 'delta';
  /** the self-test cases that guard this policy (a delta keeps its snapshot's) */
  cases: readonly SelfTestCase[];
}

/**
 * Everything a bundle must pass before it may become active, in order:
 * safe unpacking (gzip, tar, paths, links, size), signature (OPA's rules),
 * manifest, ABI, builtins and entrypoints (the engine), roots (inside their
 * own bundle and against other active bundles), then its self-tests.
 * Throws EngineError or BundleError naming the first problem.
 */
export async function prepareBundle(bytes: Uint8Array, options: PrepareOptions): Promise<PreparedBundle> {
  const { verification, otherRoots, active: _active, ...load } = options;
  const files = await readTarGz(bytes, options.maxDecompressedBytes);
  if (isDeltaBundle(files)) return prepareDelta(bytes, files, options);
  const signature = await verifyBundleSignatures(files, verification);
  const cases = parseSelfTests(files);
  const bundle = await loadBundle(bytes, load);
  checkRoots(bundle, otherRoots ?? new Map());
  const selftest = runSelfTests(bundle, cases);
  assertSelfTests(selftest, options.name);
  return { bundle, signature, selftest, size: bytes.byteLength, type: 'snapshot', cases };
}

/**
 * A delta bundle: checked (no policy/data files, no signature, manifest roots
 * and wasm equal to the active snapshot's), its patch applied to a copy of the
 * active data, loaded into a fresh instance of the same compiled policy, and
 * the snapshot's self-tests run on the result.
 */
async function prepareDelta(bytes: Uint8Array, files: ReadonlyMap<string, Uint8Array>, options: PrepareOptions): Promise<PreparedBundle> {
  const delta = parseDelta(files);
  if (options.verification !== undefined) {
    throw bundleError('BUNDLE_DELTA_INVALID', `bundle ${options.name} requires signed bundles, and delta bundles cannot be signed; serve signed snapshot bundles (or drop signing for this bundle)`);
  }
  const active = options.active;
  if (active === undefined || active === null) {
    throw bundleError('BUNDLE_DELTA_INVALID', `bundle ${options.name}: got a delta bundle but no snapshot is active to apply it to; serve a snapshot bundle first`);
  }
  const manifest = deltaManifest(delta, active.bundle.manifest);
  const data = applyPatch(active.bundle.data, delta.operations, manifest.roots);
  const bundle = withData(active.bundle, data, { manifest, digest: deltaDigest(active.bundle.digest, bytes) });
  const selftest = runSelfTests(bundle, active.cases);
  assertSelfTests(selftest, options.name);
  return { bundle, signature: { status: 'unsigned' }, selftest, size: bytes.byteLength, type: 'delta', cases: active.cases };
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
