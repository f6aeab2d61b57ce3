import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrustPolicy, verifyEvidence, type VerifiedEvidence } from '../../../src/verify/index.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import {
  collectEvidence, cosignAttest, cosignKeyPair, cosignSign, pushWasm, startTestRegistry, type CosignKey, type TestRegistry,
} from '../../support/verify/cosign-registry.ts';

const SBOM = { bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ type: 'library', name: 'ring', version: '0.17.7', purl: 'pkg:cargo/ring@0.17.7' }] };
const WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

describe.skipIf(missingOutsideCi('cosign', 'oras', 'wasmgate-testregistry'))('verifyEvidence with real cosign v3 output', () => {
  let reg: TestRegistry;
  let release: CosignKey;
  let attacker: CosignKey;
  let digest: string;
  let out: VerifiedEvidence;
  let attackerOut: VerifiedEvidence;

  beforeAll(async () => {
    reg = await startTestRegistry();
    release = cosignKeyPair(reg.dir, 'release');
    attacker = cosignKeyPair(reg.dir, 'attacker');
    const sbomPath = join(reg.dir, 'sbom.cdx.json');
    writeFileSync(sbomPath, JSON.stringify(SBOM));
    digest = pushWasm(reg, 'acme/app', WASM);
    const ref = `${reg.addr}/acme/app@${digest}`;
    cosignSign(ref, release);                                   // v3 bundle referrer (cosign/sign/v1 statement)
    cosignAttest(ref, release, 'cyclonedx', sbomPath);          // v3 bundle referrer (CycloneDX)
    cosignSign(ref, release, true);                             // legacy .sig
    cosignAttest(ref, release, 'cyclonedx', sbomPath, true);    // legacy .att
    const trust = loadTrustPolicy({ keys: [{ id: 'release', path: release.pubPath }] });
    const collected = await collectEvidence(reg, 'acme/app', digest);
    out = await verifyEvidence(collected, trust);

    // the same module, signed by a key the operator never configured
    const evil = pushWasm(reg, 'acme/other', Buffer.concat([WASM, Buffer.from([0x00, 0x01, 0x00])]));
    cosignAttest(`${reg.addr}/acme/other@${evil}`, attacker, 'cyclonedx', sbomPath);
    attackerOut = await verifyEvidence(await collectEvidence(reg, 'acme/other', evil), trust);
  });

  afterAll(async () => {
    await reg?.stop();
  });

  it('verifies the cosign v3 bundle signature and the legacy .sig', () => {
    expect(out.signatures.map((e) => [e.format, e.verified, e.errors])).toEqual(expect.arrayContaining([
      ['sigstore-bundle', true, []],
      ['cosign-legacy', true, []],
    ]));
    expect(out.signatures).toHaveLength(2);
    for (const e of out.signatures) {
      expect(e.key).toEqual({ id: 'release' });
      expect(e.subject_matches).toBe(true);
      expect(e.certificate).toBeNull();
    }
    expect(out.signatures.find((e) => e.format === 'sigstore-bundle')?.predicate_type).toBe('https://sigstore.dev/cosign/sign/v1');
  });

  it('verifies the v3 bundle and legacy .att SBOM attestations and exposes the CycloneDX predicate', () => {
    expect(out.sbom_attestations).toHaveLength(2);
    for (const e of out.sbom_attestations) {
      expect(e.errors).toEqual([]);
      expect(e.verified).toBe(true);
      expect(e.predicate_type).toBe('https://cyclonedx.org/bom');
      expect((e.predicate as { bomFormat: string }).bomFormat).toBe('CycloneDX');
    }
    expect(new Set(out.sbom_attestations.map((e) => e.format))).toEqual(new Set(['sigstore-bundle', 'cosign-legacy']));
    expect(out.provenance_attestations).toEqual([]);
    expect(out.other_attestations).toEqual([]);
  });

  it('rejects an attestation by a key not in the trust config (key_not_trusted)', () => {
    expect(attackerOut.sbom_attestations).toHaveLength(1);
    expect(attackerOut.sbom_attestations[0]?.verified).toBe(false);
    expect(attackerOut.sbom_attestations[0]?.errors.map((e) => e.code)).toEqual(['key_not_trusted']);
    expect(attackerOut.sbom_attestations[0]?.predicate).toBeUndefined();
  });
});
