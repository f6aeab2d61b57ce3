/**
 * Verification results cached by content (issue 15): the demo module's real keyless evidence, verified once and
 * answered from the cache after; a trust change drops every cached result (never served under other trust).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectEvidence } from '../../../src/collect/collect.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { createMemoryVerificationStore, createVerificationCache, trustPolicyHash } from '../../../src/verify/cache.ts';
import { loadTrustPolicy } from '../../../src/verify/trust/load.ts';
import { verifyEvidence } from '../../../src/verify/verify-evidence.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const config = parseConfig(EMBEDDED_DEFAULT_CONFIG_YAML, { env: {} });
const demoTrust = loadTrustPolicy(config.trust, { baseDir: ROOT });
// the same roots, but only an identity that signed nothing in the demo store
const otherTrust = loadTrustPolicy({
  keyless: [{ subject: 'https://github.com/someone-else/app/.github/workflows/build.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' }],
  trusted_roots: ['demo/trusted_root.json'],
}, { baseDir: ROOT });

const verifiedCount = (v: Awaited<ReturnType<typeof verifyEvidence>>): number =>
  [...v.signatures, ...v.sbom_attestations, ...v.provenance_attestations, ...v.other_attestations].filter((e) => e.verified).length;

describe('verification cache', () => {
  it('answers the same evidence from the cache with the same outcome as verifying it', async () => {
    const collected = await collectEvidence(`oci:${ROOT}demo/store:payments`);
    expect(collected.evidence.length).toBe(3);
    const cache = createVerificationCache();
    const fresh = await verifyEvidence(collected, demoTrust);
    const first = await cache.verify(collected, demoTrust);
    expect(first).toEqual(fresh);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 3 });
    const again = await cache.verify(collected, demoTrust);
    expect(again).toEqual(fresh);
    expect(cache.stats()).toMatchObject({ hits: 3, misses: 3 });
    expect(verifiedCount(again)).toBe(3);
  });

  it('drops every cached result when the trust changes, and never answers under the old trust', async () => {
    const collected = await collectEvidence(`oci:${ROOT}demo/store:payments`);
    const store = createMemoryVerificationStore(100);
    const cache = createVerificationCache({ store });
    expect(trustPolicyHash(demoTrust)).not.toBe(trustPolicyHash(otherTrust));
    await cache.verify(collected, demoTrust);
    expect(store.size).toBe(3);

    const underOther = await cache.verify(collected, otherTrust);
    expect(cache.stats()).toMatchObject({ invalidations: 1, hits: 0, misses: 6 });
    expect(verifiedCount(underOther)).toBe(0);
    expect(underOther).toEqual(await verifyEvidence(collected, otherTrust));
    expect(store.size).toBe(3);

    const back = await cache.verify(collected, demoTrust);
    expect(cache.stats()).toMatchObject({ invalidations: 2, hits: 0, misses: 9 });
    expect(verifiedCount(back)).toBe(3);
  });

  it('keys by the subject too: the same evidence bound to another module is verified again', async () => {
    const collected = await collectEvidence(`oci:${ROOT}demo/store:payments`);
    const cache = createVerificationCache();
    await cache.verify(collected, demoTrust);
    const elsewhere = { ...collected, module: { ...collected.module, digest: `sha256:${'0'.repeat(64)}`, wasmLayer: undefined } };
    delete (elsewhere.module as { wasmLayer?: unknown }).wasmLayer;
    const v = await cache.verify(elsewhere, demoTrust);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 6 });
    expect([...v.sbom_attestations, ...v.provenance_attestations].every((e) => !e.subject_matches)).toBe(true);
  });
});
