/**
 * cosign's COSIGN_REPOSITORY: signatures and attestations stored in another repository than the module. Real
 * cosign signs with the env var set (a v3 bundle as an OCI referrer there, and a legacy `.sig` tag there); wasmgate
 * finds them only when `signatureRepositories` names that repository for the module's repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvidence } from '../../../src/collect/index.ts';
import { anonymousCredentials } from '../../../src/registry/index.ts';
import { CYCLONEDX_FIXTURE, cosignAttest, cosignSign, createCosignKey, pushWasmModule, type PushedModule } from '../../support/evidence.ts';
import { startDockerRegistry, startTestRegistry, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi } from '../../support/tools.ts';

const registry = { credentials: anonymousCredentials };

describe.skipIf(missingOutsideCi('oras', 'cosign', 'wasmgate-testregistry', 'docker-registry'))('signatures in another repository (COSIGN_REPOSITORY)', () => {
  let withApi: RunningRegistry;
  let withoutApi: RunningRegistry;
  let modA: PushedModule;
  let modB: PushedModule;

  beforeAll(async () => {
    [withApi, withoutApi] = await Promise.all([startTestRegistry(), startDockerRegistry()]);
    const key = await createCosignKey();
    [modA, modB] = await Promise.all([
      pushWasmModule({ registry: withApi.host, repository: 'apps/module' }),
      pushWasmModule({ registry: withoutApi.host, repository: 'apps/module' }),
    ]);
    const sigsA = `${withApi.host}/signatures/store`;
    await cosignSign(modA.ref, { key, signatureRepository: sigsA });
    await cosignAttest(modA.ref, { key, predicate: CYCLONEDX_FIXTURE, type: 'cyclonedx', signatureRepository: sigsA });
    await cosignSign(modA.ref, { key, legacy: true, signatureRepository: sigsA });
    // no referrers API: cosign v3 falls back to the referrers tag schema in the signature repository
    const sigsB = `${withoutApi.host}/signatures/store`;
    await cosignSign(modB.ref, { key, signatureRepository: sigsB });
    await cosignAttest(modB.ref, { key, predicate: CYCLONEDX_FIXTURE, type: 'cyclonedx', legacy: true, signatureRepository: sigsB });
  });
  afterAll(async () => {
    await Promise.all([withApi?.stop(), withoutApi?.stop()]);
  });

  it('finds nothing when signatureRepositories is not configured (nothing is stored beside the module)', async () => {
    const c = await collectEvidence(modA.ref, { registry });
    expect(c.module.digest).toBe(modA.digest);
    expect(c.evidence).toEqual([]);
  });

  it('finds nothing when signatureRepositories names the store for another repository only', async () => {
    const c = await collectEvidence(modA.ref, { registry, signatureRepositories: { [`${withApi.host}/apps/other`]: [`${withApi.host}/signatures/store`] } });
    expect(c.evidence).toEqual([]);
  });

  it('finds the referrers and the legacy tag in the configured repository (referrers API)', async () => {
    const c = await collectEvidence(modA.ref, { registry, signatureRepositories: { [`${withApi.host}/apps/module`]: [`${withApi.host}/signatures/store`] } });
    expect(c.evidence.map((e) => `${e.kind} ${e.discoveredVia}`).sort()).toEqual([
      'cosign-legacy-signature cosign-legacy-tag',
      'sigstore-bundle referrers-api',
      'sigstore-bundle referrers-api',
    ]);
    for (const e of c.evidence) expect(e.attachedTo).toBe(modA.digest);
    expect(c.warnings.filter((w) => w.code === 'SUBJECT_MISMATCH')).toEqual([]);
  });

  it('finds them through the referrers tag schema and legacy tags on a registry without the referrers API', async () => {
    const none = await collectEvidence(modB.ref, { registry });
    expect(none.evidence).toEqual([]);
    const c = await collectEvidence(modB.ref, { registry, signatureRepositories: { [`${withoutApi.host}/apps/module`]: [`${withoutApi.host}/signatures/store`] } });
    expect(c.evidence.map((e) => `${e.kind} ${e.discoveredVia}`).sort()).toEqual(['cosign-legacy-attestation cosign-legacy-tag', 'sigstore-bundle referrers-tag']);
    for (const e of c.evidence) expect(e.attachedTo).toBe(modB.digest);
  });

  it('fetches the evidence blobs from the signature repository, not the module repository', async () => {
    // docker-registry scopes blobs to the repositories that link them (go-containerregistry's registry does not)
    const c = await collectEvidence(modB.ref, { registry, signatureRepositories: { [`${withoutApi.host}/apps/module`]: [`${withoutApi.host}/signatures/store`] } });
    const layers = c.evidence.map((e) => e.layer.digest);
    expect(layers).toHaveLength(2);
    for (const layer of layers) {
      expect((await fetch(`${withoutApi.url}/v2/apps/module/blobs/${layer}`, { method: 'HEAD' })).status).toBe(404);
      expect((await fetch(`${withoutApi.url}/v2/signatures/store/blobs/${layer}`, { method: 'HEAD' })).status).toBe(200);
    }
  });
});
