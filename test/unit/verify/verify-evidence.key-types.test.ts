import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CollectedEvidence, RawEvidence } from '../../../src/oci/types.ts';
import { loadTrustPolicy, verifyEvidence } from '../../../src/verify/index.ts';
import { fakeModule, keySignedBundle, keySignedLegacySignature, simpleSigningPayload, statement } from '../../support/verify/mock-sigstore.ts';

const CDX = 'https://cyclonedx.org/bom';
const pub = (k: KeyObject): string => createPublicKey(k).export({ format: 'pem', type: 'spki' }).toString();

const keys = {
  'ed25519': generateKeyPairSync('ed25519').privateKey,
  'ecdsa-p384': generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey,
  'ecdsa-p256': generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
  'rsa-3072': generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey,
};

function collected(key: KeyObject): CollectedEvidence {
  const module = fakeModule('keys');
  const stmt = statement(module.digest, CDX, { bomFormat: 'CycloneDX', specVersion: '1.5' });
  const bundle = keySignedBundle(key, stmt, module.digest);
  const sig = keySignedLegacySignature(key, simpleSigningPayload(module.digest), module.digest);
  const evidence: RawEvidence[] = [bundle, sig];
  return { module, evidence, warnings: [] };
}

describe('key-signed evidence (no certificate), each key type, made with Node crypto', () => {
  for (const [name, key] of Object.entries(keys)) {
    it(`${name}: the DSSE bundle and the legacy .sig verify with the configured key`, async () => {
      const out = await verifyEvidence(collected(key), loadTrustPolicy({ keys: [{ id: name, pem: pub(key) }] }));
      expect([...out.signatures, ...out.sbom_attestations].map((e) => [e.format, e.verified, e.errors, e.key])).toEqual([
        ['cosign-legacy', true, [], { id: name }],
        ['sigstore-bundle', true, [], { id: name }],
      ]);
    });
  }

  it('P-384 signatures are checked with SHA-384 (a SHA-256 signature by the same key is rejected)', async () => {
    const key = keys['ecdsa-p384'];
    const module = fakeModule('p384');
    const payload = simpleSigningPayload(module.digest);
    const ev = keySignedLegacySignature(key, payload, module.digest);
    ev.layer.annotations = { 'dev.cosignproject.cosign/signature': sign('sha256', payload, key).toString('base64') };
    const out = await verifyEvidence({ module, evidence: [ev], warnings: [] }, loadTrustPolicy({ keys: [{ pem: pub(key) }] }));
    expect(out.signatures[0]?.verified).toBe(false);
    expect(out.signatures[0]?.errors.map((e) => e.code)).toEqual(['key_not_trusted']);
  });

  it('wrong key type: an RSA key configured, the evidence signed by an EC key → key_not_trusted', async () => {
    const out = await verifyEvidence(collected(keys['ecdsa-p256']), loadTrustPolicy({ keys: [{ id: 'rsa', pem: pub(keys['rsa-3072']) }] }));
    const all = [...out.signatures, ...out.sbom_attestations];
    expect(all).toHaveLength(2);
    for (const e of all) {
      expect(e.verified).toBe(false);
      expect(e.errors.map((x) => x.code)).toEqual(['key_not_trusted']);
      expect(e.predicate).toBeUndefined();
    }
  });

  it('an Ed25519 key configured, the evidence signed by another Ed25519 key → key_not_trusted naming Ed25519ph', async () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const out = await verifyEvidence(collected(other), loadTrustPolicy({ keys: [{ id: 'ed', pem: pub(keys.ed25519) }] }));
    expect(out.sbom_attestations[0]?.errors.map((e) => e.code)).toEqual(['key_not_trusted']);
    expect(out.sbom_attestations[0]?.errors[0]?.message).toMatch(/Ed25519ph/);
  });
});
