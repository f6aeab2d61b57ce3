import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeProvenancePredicate, writeSbomPredicate } from '../../../bench/lib/evidence.ts';
import { createCollector } from '../../../src/collect/index.ts';
import { withDeadline } from '../../../src/decide/deadline.ts';
import { createPipelineDecider } from '../../../src/decide/pipeline.ts';
import type { Decider } from '../../../src/decide/types.ts';
import { loadBundle } from '../../../src/policy/engine/index.ts';
import type { LoadedBundle } from '../../../src/policy/engine/types.ts';
import type { RegistryClientOptions } from '../../../src/registry/index.ts';
import { loadTrustPolicy, type TrustPolicy } from '../../../src/verify/index.ts';
import { cosignAttest, cosignSign, createCosignKey, pushWasmModule, type CosignKey, type PushedModule } from '../../support/evidence.ts';
import { requireTool } from '../../support/tools.ts';
import { REPO } from './results.ts';

const run = promisify(execFile);
export const KEY_ID = 'reliability';

/** Compiles test/fixtures/reliability/keyed-policy with opa into a wasm bundle (bytes). */
export async function buildKeyedBundleBytes(dir: string): Promise<Uint8Array> {
  const out = join(dir, 'keyed.tar.gz');
  await run(requireTool('opa'), ['build', '-t', 'wasm', '-b', join(REPO, 'test/fixtures/reliability/keyed-policy'), '-e', 'wasm/sbom/allow', '-e', 'wasm/sbom/deny', '-e', 'wasm/sbom', '-o', out]);
  return readFile(out);
}

export interface SignedWorld {
  dir: string;
  key: CosignKey;
  module: PushedModule;
  trust: TrustPolicy;
  bundle: LoadedBundle;
  cleanup(): Promise<void>;
}

/**
 * A module in `registryHost` with a cosign signature, a CycloneDX attestation of 80 components and a
 * SLSA provenance attestation (real cosign, key-based, offline), the trust policy for that key and
 * the keyed policy bundle.
 */
export async function signedWorld(registryHost: string, repository = 'reliability/payments'): Promise<SignedWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-reliability-'));
  const key = await createCosignKey(join(dir, 'key'));
  const module = await pushWasmModule({ registry: registryHost, repository });
  await cosignSign(module.ref, { key });
  await cosignAttest(module.ref, { key, predicate: await writeSbomPredicate(dir, 80), type: 'cyclonedx' });
  await cosignAttest(module.ref, { key, predicate: await writeProvenancePredicate(dir), type: 'slsaprovenance1' });
  const trust = loadTrustPolicy({ keys: [{ id: KEY_ID, path: key.pub }] });
  const bundle = await loadBundle(await buildKeyedBundleBytes(dir), { name: 'keyed' });
  return { dir, key, module, trust, bundle, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fail-closed decider with a fresh collector (no content cache): every decision goes to the registry. */
export function freshDecider(world: { trust: TrustPolicy; bundle: LoadedBundle }, registry: RegistryClientOptions, deadlineMs: number): { decider: Decider; close(): Promise<void> } {
  const collector = createCollector({ registry, cache: false, limits: { deadlineMs } });
  const inner = createPipelineDecider({ collector, trust: () => world.trust, bundle: () => world.bundle, vulnerabilities: () => null, vulnerabilityProblem: () => null, defaultPath: 'wasm/sbom' });
  return { decider: withDeadline(inner, { deadlineMs }), close: () => collector.close() };
}
