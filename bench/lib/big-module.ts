import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { cosignAttest, cosignSign, createCosignKey, pushWasmModule, writeCustomPredicate, type CosignKey, type PushedModule } from '../../test/support/evidence.ts';
import { cycloneDx } from '../engine-input.ts';
import { ROOT } from './doc.ts';
import { writeProvenancePredicate } from './evidence.ts';

/** wasmCloud's root Cargo.lock (727 packages; test/fixtures/sbom/lockfiles/SOURCES.md). */
const LOCK = join(ROOT, 'test', 'fixtures', 'sbom', 'lockfiles', 'wasmcloud-root.lock');

/** A CycloneDX SBOM of the first `count` crates of a real, large Cargo.lock, written to `dir`. */
export async function writeLargeSbom(dir: string, count = 300): Promise<string> {
  const lock = parseToml(readFileSync(LOCK, 'utf8')) as unknown as { package: Array<{ name: string; version: string; checksum?: string }> };
  const pkgs = lock.package.slice(0, count);
  if (pkgs.length < count) throw new Error(`${LOCK} has only ${pkgs.length} packages`);
  const path = join(dir, `sbom-${count}.cdx.json`);
  await writeFile(path, JSON.stringify(cycloneDx(pkgs)));
  return path;
}

export interface RealisticModule {
  pushed: PushedModule;
  key: CosignKey;
}

/**
 * The realistic module of issue 15: a wasm module in the registry with a cosign signature and three attestations
 * made by real cosign (key-based, offline): a CycloneDX SBOM of 300 crates, SLSA v1 provenance and a custom one.
 */
export async function publishRealisticModule(registryHost: string, work: string, repository = 'bench/app', tag = 'v1'): Promise<RealisticModule> {
  const key = await createCosignKey(join(work, 'key'));
  const pushed = await pushWasmModule({ registry: registryHost, repository, tag });
  await cosignSign(pushed.ref, { key });
  await cosignAttest(pushed.ref, { key, predicate: await writeLargeSbom(work, 300), type: 'cyclonedx' });
  await cosignAttest(pushed.ref, { key, predicate: await writeProvenancePredicate(work), type: 'slsaprovenance1' });
  await cosignAttest(pushed.ref, { key, predicate: await writeCustomPredicate(work), type: 'custom' });
  return { pushed, key };
}
