import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrustPolicy, verifyEvidence, type VerifiedEvidence } from '../../../src/verify/index.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import {
  collectEvidence, cosignAttest, cosignImportKeyPair, cosignSign, pushWasm, startTestRegistry, type CosignKey, type TestRegistry,
} from '../../support/verify/cosign-registry.ts';

const SBOM = { bomFormat: 'CycloneDX', specVersion: '1.5', components: [] };
const pkcs8 = (k: ReturnType<typeof generateKeyPairSync>['privateKey']): string => k.export({ format: 'pem', type: 'pkcs8' }).toString();

/**
 * Real cosign v3.1.2 with keys imported by `cosign import-key-pair`: each module is signed and
 * attested in the v3 bundle format and in the legacy `.sig`/`.att` format (4 pieces of evidence).
 */
describe.skipIf(missingOutsideCi('cosign', 'oras', 'wasmgate-testregistry'))('real cosign signatures by RSA, ECDSA P-384 and Ed25519 keys', () => {
  let reg: TestRegistry;
  const keys: Record<string, CosignKey> = {};
  const out: Record<string, VerifiedEvidence> = {};
  let wrongType: VerifiedEvidence;

  beforeAll(async () => {
    reg = await startTestRegistry();
    const sbomPath = join(reg.dir, 'sbom.cdx.json');
    writeFileSync(sbomPath, JSON.stringify(SBOM));
    const pems = {
      rsa: pkcs8(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
      p384: pkcs8(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey),
      ed25519: pkcs8(generateKeyPairSync('ed25519').privateKey),
      p256: pkcs8(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey),
    };
    for (const [name, pem] of Object.entries(pems)) keys[name] = cosignImportKeyPair(reg.dir, name, pem);
    for (const name of ['rsa', 'p384', 'ed25519', 'p256']) {
      const key = keys[name] as CosignKey;
      const digest = pushWasm(reg, `acme/${name}`, Buffer.from(`\0asm\x01\0\0\0${name}`));
      const ref = `${reg.addr}/acme/${name}@${digest}`;
      for (const legacy of [false, true]) {
        cosignSign(ref, key, legacy);
        cosignAttest(ref, key, 'cyclonedx', sbomPath, legacy);
      }
      const collected = await collectEvidence(reg, `acme/${name}`, digest);
      if (name === 'p256') {
        // the operator trusts an RSA key; the evidence was signed by an EC key
        wrongType = await verifyEvidence(collected, loadTrustPolicy({ keys: [{ id: 'rsa', path: keys.rsa?.pubPath ?? '' }] }));
      } else {
        out[name] = await verifyEvidence(collected, loadTrustPolicy({ keys: [{ id: name, path: key.pubPath }] }));
      }
    }
  }, 120_000);

  afterAll(async () => {
    await reg?.stop();
  });

  const summary = (v: VerifiedEvidence | undefined) => [...(v?.signatures ?? []), ...(v?.sbom_attestations ?? [])]
    .map((e) => `${e.format}:${e.predicate_type ?? 'sig'}:${String(e.verified)}:${e.errors.map((x) => x.code).join(',')}`).sort();

  it.each(['rsa', 'p384'])('%s: v3 bundles and legacy .sig/.att all verify with the configured key', (name) => {
    expect(summary(out[name])).toEqual([
      'cosign-legacy:https://cyclonedx.org/bom:true:',
      'cosign-legacy:sig:true:',
      'sigstore-bundle:https://cyclonedx.org/bom:true:',
      'sigstore-bundle:https://sigstore.dev/cosign/sign/v1:true:',
    ]);
    for (const e of out[name]?.sbom_attestations ?? []) expect(e.key).toEqual({ id: name });
  });

  it('ed25519: cosign v3 signs with Ed25519ph, which wasmgate cannot verify → key_not_trusted with a hint (documented)', () => {
    expect(summary(out.ed25519)).toEqual([
      'cosign-legacy:https://cyclonedx.org/bom:false:key_not_trusted',
      'cosign-legacy:sig:false:key_not_trusted',
      'sigstore-bundle:https://cyclonedx.org/bom:false:key_not_trusted',
      'sigstore-bundle:https://sigstore.dev/cosign/sign/v1:false:key_not_trusted',
    ]);
    expect(out.ed25519?.signatures[0]?.errors[0]?.message).toMatch(/Ed25519ph/);
  });

  it('wrong key type: RSA key configured, evidence signed by an ECDSA P-256 key → key_not_trusted', () => {
    expect(summary(wrongType)).toEqual([
      'cosign-legacy:https://cyclonedx.org/bom:false:key_not_trusted',
      'cosign-legacy:sig:false:key_not_trusted',
      'sigstore-bundle:https://cyclonedx.org/bom:false:key_not_trusted',
      'sigstore-bundle:https://sigstore.dev/cosign/sign/v1:false:key_not_trusted',
    ]);
    for (const e of wrongType.sbom_attestations) expect(e.predicate).toBeUndefined();
  });
});
