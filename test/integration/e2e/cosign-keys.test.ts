/**
 * End to end, key-based: modules pushed with real oras, signed and attested with real cosign v3 (`--key`,
 * offline), on wasmgate-testregistry without the referrers API (cosign's tag schema) and on Debian's
 * docker-registry (cosign's legacy `.sig`/`.att` tags). The decision runs through the real pipeline wiring
 * (createPipelineWiring: collector, trust, OSV database and a `bundles:` file source), the bundle built by
 * `wasmgate bundle build` from a copy of policies/ whose data.json pins the signer keys
 * (config.sbom_keys / config.provenance_keys).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configBaseDir } from '../../../src/cli/config-base.ts';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { createDecisionCache } from '../../../src/decide/cache.ts';
import { withDeadline } from '../../../src/decide/deadline.ts';
import type { Decider } from '../../../src/decide/types.ts';
import { createPipelineWiring } from '../../../src/server/pipeline-wiring.ts';
import type { ServiceWiring } from '../../../src/server/wiring.ts';
import { createMetrics } from '../../../src/status/metrics.ts';
import { createStatusRegistry } from '../../../src/status/registry.ts';
import {
  CLEAN_DEPS, MSG_PROVENANCE, MSG_SBOM, VULNERABLE_DEPS,
  buildPinnedBundle, cyclonedx, keyFingerprint, msgCritical, runWasmgate, slsaProvenance, writeE2eConfig, writeOsvDir,
} from '../../support/e2e.ts';
import { cosignAttest, cosignSign, createCosignKey, pushWasmModule, type CosignKey, type PushedModule } from '../../support/evidence.ts';
import { startDockerRegistry, startTestRegistry, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi } from '../../support/tools.ts';


describe.skipIf(missingOutsideCi('oras', 'cosign', 'opa', 'wasmgate-testregistry', 'docker-registry'))('e2e: real cosign key-based evidence, key-pinned policy', () => {
  let dir: string;
  let reg: RunningRegistry;
  let docker: RunningRegistry;
  let buildKey: CosignKey;
  let provenanceKey: CosignKey;
  let attackerKey: CosignKey;
  let provenanceKeyId: string;
  let configPath: string;
  let wiring: ServiceWiring;
  let decider: Decider;
  const mods: Record<string, PushedModule> = {};

  const predicateFile = async (name: string, body: unknown): Promise<string> => {
    const p = join(dir, `${name}.json`);
    await writeFile(p, JSON.stringify(body));
    return p;
  };

  const publish = async (registry: string, repo: string, o: { deps?: Array<[string, string]>; sbomKey?: CosignKey; provenanceKey?: CosignKey; legacy?: boolean } = {}): Promise<PushedModule> => {
    const m = await pushWasmModule({ registry, repository: repo });
    const legacy = o.legacy ? { legacy: true } : {};
    const sbomKey = o.sbomKey ?? buildKey;
    await cosignSign(m.ref, { key: sbomKey, ...legacy });
    await cosignAttest(m.ref, { key: sbomKey, type: 'cyclonedx', predicate: await predicateFile(`${repo}-sbom`, cyclonedx(repo, o.deps ?? CLEAN_DEPS)), ...legacy });
    await cosignAttest(m.ref, { key: o.provenanceKey ?? provenanceKey, type: 'slsaprovenance1', predicate: await predicateFile(`${repo}-slsa`, slsaProvenance(m.digest)), ...legacy });
    return m;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-e2e-cosign-'));
    [reg, docker] = await Promise.all([startTestRegistry({ referrers: false }), startDockerRegistry()]);
    [buildKey, provenanceKey, attackerKey] = await Promise.all([
      createCosignKey(join(dir, 'build-key')), createCosignKey(join(dir, 'provenance-key')), createCosignKey(join(dir, 'attacker-key')),
    ]);
    provenanceKeyId = await keyFingerprint(provenanceKey.pub);

    [mods.clean, mods.vulnerable, mods.attacker, mods.mispinned, mods.legacy] = await Promise.all([
      publish(reg.host, 'payments'),
      publish(reg.host, 'vulnerable', { deps: VULNERABLE_DEPS }),
      // adversary 4: signed and attested by a key that is not in the trust config
      publish(reg.host, 'attacker', { sbomKey: attackerKey, provenanceKey: attackerKey }),
      // a trusted key, but pinned for SBOMs only: it does not vouch for provenance
      publish(reg.host, 'mispinned', { provenanceKey: buildKey }),
      publish(docker.host, 'payments-legacy', { legacy: true }),
    ]);

    // the build key by its configured id, the provenance key by its default id (sha256 of the SPKI)
    configPath = await writeE2eConfig({
      dir,
      registries: [reg.host, docker.host],
      trust: { keys: [{ id: 'build-key', path: buildKey.pub }, { path: provenanceKey.pub }], trusted_roots: 'none' },
      osvDir: await writeOsvDir(join(dir, 'osv')),
      deadlineMs: 10_000,
    });
    const bundlePath = await buildPinnedBundle(dir, { sbomKeys: ['build-key'], provenanceKeys: [provenanceKeyId] });
    const { config } = await loadConfig(configPath);
    config.bundles = { pinned: { resource: bundlePath, persist: false, size_limit_bytes: 1 << 30, trigger: 'manual' } };
    wiring = await createPipelineWiring({ baseDir: configBaseDir(configPath) })({
      config, metrics: createMetrics({ defaultMetrics: false }), status: createStatusRegistry(), logger: createSilentLogger(), decisionCache: createDecisionCache({ ttlMs: 0, maxEntries: 0 }),
    });
    decider = withDeadline(wiring.decider, { deadlineMs: config.decision.deadline_ms });
  }, 180_000);

  afterAll(async () => {
    await wiring?.stop?.();
    await Promise.all([reg?.stop(), docker?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const decide = async (ref: string): Promise<{ allow: boolean; deny: string[]; digest: string | null; errors: unknown[] }> => {
    const d = await decider.decide({ ref, request: { runtime: 'e2e' } });
    return { allow: d.allow, deny: d.deny, digest: d.digest, errors: d.errors };
  };

  it('allows the clean module signed with pinned keys (cosign v3 bundles, tag schema)', async () => {
    expect(await decide(mods.clean!.tagRef)).toEqual({ allow: true, deny: [], digest: mods.clean!.digest, errors: [] });
  });

  it('allows the clean module signed with cosign\'s legacy .sig/.att tags on docker-registry', async () => {
    expect(await decide(mods.legacy!.tagRef)).toEqual({ allow: true, deny: [], digest: mods.legacy!.digest, errors: [] });
  });

  it('adversary 1: denies a Critical transitive dependency even with pinned signers', async () => {
    expect(await decide(mods.vulnerable!.tagRef)).toMatchObject({ allow: false, deny: [msgCritical(1)] });
  });

  it('adversary 4: denies evidence signed by a key that is not in the trust config', async () => {
    expect(await decide(mods.attacker!.tagRef)).toMatchObject({ allow: false, deny: [MSG_SBOM, MSG_PROVENANCE].sort(), errors: [] });
  });

  it('adversary 2: denies provenance signed by a trusted key that is not pinned for provenance', async () => {
    expect(await decide(mods.mispinned!.tagRef)).toMatchObject({ allow: false, deny: [MSG_PROVENANCE] });
  });

  it('the shipped bundle (keyless identities only, no pins) denies the key-signed module: exit 1 from wasmgate check', async () => {
    const r = await runWasmgate(['check', mods.clean!.tagRef, '--config', configPath]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(MSG_SBOM);
  });

  it('wasmgate evidence --json --key cosign.pub: verified evidence with the key id and the decoded SBOM', async () => {
    const r = await runWasmgate(['evidence', mods.clean!.ref, '--json', '--key', buildKey.pub]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { verified: Record<string, Array<{ verified: boolean; format: string; key: { id: string } | null; certificate: unknown; subject_matches: boolean; predicate?: { bomFormat?: string; components?: Array<{ name: string }> }; errors: Array<{ code: string }> }>> };
    const buildId = await keyFingerprint(buildKey.pub);
    const [signature] = report.verified.signatures ?? [];
    expect(signature).toMatchObject({ verified: true, format: 'sigstore-bundle', key: { id: buildId }, certificate: null, subject_matches: true });
    const [sbom] = report.verified.sbom_attestations ?? [];
    expect(sbom).toMatchObject({ verified: true, key: { id: buildId }, subject_matches: true, predicate: { bomFormat: 'CycloneDX' } });
    expect(sbom!.predicate?.components?.map((c) => c.name)).toContain('smallvec');
    // the provenance key was not given: found, bound, but not verified
    const [prov] = report.verified.provenance_attestations ?? [];
    expect(prov).toMatchObject({ verified: false, key: null });
    expect(prov!.errors.map((e) => e.code)).toContain('key_not_trusted');
  });
});
