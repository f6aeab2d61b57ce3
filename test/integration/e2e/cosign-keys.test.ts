/**
 * End to end, key-based: modules pushed with real oras, signed and attested with real cosign v3 (`--key`,
 * offline), on wasmgate-testregistry without the referrers API (cosign's tag schema) and on Debian's
 * docker-registry (cosign's legacy `.sig`/`.att` tags). The decision runs through the real pipeline wiring
 * (createPipelineWiring: collector, trust, OSV database) and the shipped bundle: who may sign what is said
 * once, by the roles of the keys in the config's trust.keys (issue 20.2).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configBaseDir } from '../../../src/cli/config-base.ts';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { createDecisionCache } from '../../../src/decide/cache.ts';
import { withDeadline } from '../../../src/decide/deadline.ts';
import type { Decider } from '../../../src/decide/types.ts';
import { createPipelineWiring } from '../../../src/wiring/pipeline-wiring.ts';
import type { ServiceWiring } from '../../../src/server/wiring.ts';
import { createMetrics } from '../../../src/status/metrics.ts';
import { createStatusRegistry } from '../../../src/status/registry.ts';
import {
  CLEAN_DEPS, MSG_PROVENANCE, MSG_SBOM, VULNERABLE_DEPS,
  cyclonedx, keyFingerprint, msgCritical, runWasmgate, slsaProvenance, writeE2eConfig, writeOsvDir,
} from '../../support/e2e.ts';
import { cosignAttest, cosignSign, createCosignKey, pushWasmModule, type CosignKey, type PushedModule } from '../../support/evidence.ts';
import { startDockerRegistry, startTestRegistry, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi } from '../../support/tools.ts';


describe.skipIf(missingOutsideCi('oras', 'cosign', 'opa', 'wasmgate-testregistry', 'docker-registry'))('e2e: real cosign key-based evidence, keys with roles in trust.keys', () => {
  let dir: string;
  let reg: RunningRegistry;
  let docker: RunningRegistry;
  let buildKey: CosignKey;
  let provenanceKey: CosignKey;
  let attackerKey: CosignKey;
  let openConfigPath: string;
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

    [mods.clean, mods.vulnerable, mods.attacker, mods.mispinned, mods.legacy] = await Promise.all([
      publish(reg.host, 'payments'),
      publish(reg.host, 'vulnerable', { deps: VULNERABLE_DEPS }),
      // adversary 4: signed and attested by a key that is not in the trust config
      publish(reg.host, 'attacker', { sbomKey: attackerKey, provenanceKey: attackerKey }),
      // a trusted key, but pinned for SBOMs only: it does not vouch for provenance
      publish(reg.host, 'mispinned', { provenanceKey: buildKey }),
      publish(docker.host, 'payments-legacy', { legacy: true }),
    ]);

    // the build key by its configured id, the provenance key by its default id (sha256 of the SPKI), each with its roles
    const osvDir = await writeOsvDir(join(dir, 'osv'));
    configPath = await writeE2eConfig({
      dir,
      registries: [reg.host, docker.host],
      trust: { keys: [{ id: 'build-key', path: buildKey.pub, roles: ['sbom', 'signature'] }, { path: provenanceKey.pub, roles: ['provenance'] }], trusted_roots: 'none' },
      osvDir,
      deadlineMs: 10_000,
    });
    // a config written before roles: keys without roles hold every role
    const openDir = join(dir, 'open');
    await mkdir(openDir);
    openConfigPath = await writeE2eConfig({
      dir: openDir, registries: [reg.host, docker.host], trust: { keys: [{ path: buildKey.pub }], trusted_roots: 'none' }, osvDir, deadlineMs: 10_000,
    });
    const { config } = await loadConfig(configPath);
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

  it('allows the clean module signed with keys holding the sbom and provenance roles (cosign v3 bundles, tag schema)', async () => {
    expect(await decide(mods.clean!.tagRef)).toEqual({ allow: true, deny: [], digest: mods.clean!.digest, errors: [] });
  });

  it('allows the clean module signed with cosign\'s legacy .sig/.att tags on docker-registry', async () => {
    expect(await decide(mods.legacy!.tagRef)).toEqual({ allow: true, deny: [], digest: mods.legacy!.digest, errors: [] });
  });

  it('adversary 1: denies a Critical transitive dependency even with trusted signers', async () => {
    expect(await decide(mods.vulnerable!.tagRef)).toMatchObject({ allow: false, deny: [msgCritical(1)] });
  });

  it('adversary 4: denies evidence signed by a key that is not in the trust config', async () => {
    expect(await decide(mods.attacker!.tagRef)).toMatchObject({ allow: false, deny: [MSG_SBOM, MSG_PROVENANCE].sort(), errors: [] });
  });

  it('adversary 2: denies provenance signed by a trusted key that does not hold the provenance role', async () => {
    expect(await decide(mods.mispinned!.tagRef)).toMatchObject({ allow: false, deny: [MSG_PROVENANCE] });
  });

  it('issue 20.2: a cosign key added to trust.keys with roles makes `wasmgate check` allow with the shipped bundle (exit 0)', async () => {
    const r = await runWasmgate(['check', mods.clean!.tagRef, '--config', configPath]);
    expect(r.stdout).toMatch(/^ALLOW /);
    expect(r.code).toBe(0);
  });

  it('a key written without roles (configs from before roles) holds every role: check allows', async () => {
    const r = await runWasmgate(['check', mods.mispinned!.tagRef, '--config', openConfigPath]);
    expect(r.stdout).toMatch(/^ALLOW /);
    expect(r.code).toBe(0);
  });

  it('wasmgate check prints why: the role a verified signer lacks, the key an untrusted signature was made with', async () => {
    const mis = await runWasmgate(['check', mods.mispinned!.tagRef, '--config', configPath]);
    expect(mis.code).toBe(1);
    expect(mis.stdout).toContain(`  - ${MSG_PROVENANCE}\n      provenance attestation in sha256:`);
    expect(mis.stdout).toContain('key build-key: verified, but the trust configuration gives this signer the roles sbom, signature, not provenance');
    const att = await runWasmgate(['check', mods.attacker!.tagRef, '--config', configPath]);
    expect(att.code).toBe(1);
    expect(att.stdout).toMatch(/SBOM attestation in sha256:[0-9a-f]{64}, signer not established: rejected, key_not_trusted: /);
    const vul = await runWasmgate(['check', mods.vulnerable!.tagRef, '--config', configPath]);
    expect(vul.stdout).toContain('      RUSTSEC-2021-0003 (Critical');
    expect(vul.stdout).toContain('smallvec@1.6.0: fixed in ');
  });

  it('wasmgate evidence --json --key cosign.pub: verified evidence with the key id, its roles and the decoded SBOM, the scan and the policy outcome', async () => {
    const r = await runWasmgate(['evidence', mods.clean!.ref, '--json', '--key', buildKey.pub]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      verified: Record<string, Array<{ verified: boolean; verified_for: string[]; format: string; key: { id: string } | null; certificate: unknown; subject_matches: boolean; predicate?: { bomFormat?: string; components?: Array<{ name: string }> }; errors: Array<{ code: string }> }>>;
      vulnerability_scan: { source: string; matches: unknown[] };
      policy: { allow: boolean; deny: string[] };
    };
    const buildId = await keyFingerprint(buildKey.pub);
    const [signature] = report.verified.signatures ?? [];
    expect(signature).toMatchObject({ verified: true, format: 'sigstore-bundle', key: { id: buildId }, certificate: null, subject_matches: true, verified_for: ['sbom', 'provenance', 'signature'] });
    const [sbom] = report.verified.sbom_attestations ?? [];
    expect(sbom).toMatchObject({ verified: true, key: { id: buildId }, subject_matches: true, predicate: { bomFormat: 'CycloneDX' } });
    expect(sbom!.predicate?.components?.map((c) => c.name)).toContain('smallvec');
    // the provenance key was not given: found, bound, but not verified, and verified for nothing
    const [prov] = report.verified.provenance_attestations ?? [];
    expect(prov).toMatchObject({ verified: false, key: null, verified_for: [] });
    expect(prov!.errors.map((e) => e.code)).toContain('key_not_trusted');
    // the scan and the policy's answer on the same input (the embedded default's RustSec DB)
    expect(report.vulnerability_scan.source).toBe('osv');
    expect(report.policy).toMatchObject({ allow: false, deny: [MSG_PROVENANCE] });
  });

  it('wasmgate evidence --input prints the whole input document', async () => {
    const r = await runWasmgate(['evidence', mods.clean!.tagRef, '--input', '--config', configPath]);
    expect(r.code).toBe(0);
    const input = JSON.parse(r.stdout) as { module: { digest: string }; sbom_attestations: Array<{ verified_for: string[] }>; provenance_attestations: Array<{ verified_for: string[] }>; vulnerability_scan: { matches: unknown[] }; request: { time: string } };
    expect(input.module.digest).toBe(mods.clean!.digest);
    expect(input.sbom_attestations.map((e) => e.verified_for)).toContainEqual(['sbom', 'signature']);
    expect(input.provenance_attestations.map((e) => e.verified_for)).toContainEqual(['provenance']);
    expect(input.vulnerability_scan.matches).toEqual([]);
    expect(typeof input.request.time).toBe('string');
  });
});
