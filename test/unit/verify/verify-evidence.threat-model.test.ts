import { createHash, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrustPolicy, verifyEvidence, type TrustPolicy } from '../../../src/verify/index.ts';
import type { CollectedEvidence, ModuleTarget, RawEvidence } from '../../../src/oci/types.ts';
import {
  bundleAttestation, createMockSigstore, fakeModule, githubClaims, legacyAttestation, legacySignature, simpleSigningPayload,
  statement, type MockSigstore, type Signer,
} from '../../support/verify/mock-sigstore.ts';

const CDX = 'https://cyclonedx.org/bom';
const SBOM = { bomFormat: 'CycloneDX', specVersion: '1.5', components: [] };
const REPO = 'acme/app';

let ms: MockSigstore;
let good: Signer;
let policy: TrustPolicy;
let mod: ModuleTarget;

function collected(...evidence: RawEvidence[]): CollectedEvidence {
  return { module: mod, evidence, warnings: [] };
}

beforeAll(async () => {
  ms = await createMockSigstore();
  good = await ms.issue(githubClaims(REPO));
  mod = fakeModule();
  policy = loadTrustPolicy({
    keyless: [{
      subject: `https://github.com/${REPO}/.github/workflows/build.yml@refs/heads/main`,
      issuer: 'https://token.actions.githubusercontent.com',
      extensions: { source_repository_uri: `https://github.com/${REPO}` },
    }],
    trusted_roots: [ms.trustedRootPath],
  });
});

describe('verifyEvidence', () => {
  describe('when the evidence is genuine', () => {
    it('verifies a legacy .sig, a legacy .att SBOM and a v0.3 bundle SBOM, with decoded certificate facts', async () => {
      const out = await verifyEvidence(collected(
        await legacySignature(ms, good, simpleSigningPayload(mod.digest), mod.digest),
        await legacyAttestation(ms, good, statement(mod.digest, CDX, SBOM, 'https://in-toto.io/Statement/v0.1'), mod.digest),
        await bundleAttestation(ms, good, statement(mod.wasmLayer!.digest, CDX, SBOM), mod.digest),
      ), policy);
      expect(out.signatures).toHaveLength(1);
      expect(out.sbom_attestations).toHaveLength(2);
      for (const e of [...out.signatures, ...out.sbom_attestations]) {
        expect(e.errors).toEqual([]);
        expect(e.verified).toBe(true);
        expect(e.subject_matches).toBe(true);
        expect(e.certificate?.subject).toBe(`https://github.com/${REPO}/.github/workflows/build.yml@refs/heads/main`);
        expect(e.certificate?.issuer).toBe('https://token.actions.githubusercontent.com');
        expect(e.certificate?.extensions.source_repository_uri).toBe(`https://github.com/${REPO}`);
        expect(e.certificate?.extensions.build_signer_uri).toBe(`https://github.com/${REPO}/.github/workflows/build.yml@refs/heads/main`);
        expect(e.tlog?.log_index).toBeGreaterThanOrEqual(0);
      }
      expect(out.signatures[0]?.format).toBe('cosign-legacy');
      expect(out.sbom_attestations[1]?.format).toBe('sigstore-bundle');
      expect(out.sbom_attestations[0]?.predicate).toEqual(SBOM);
    });

    it('routes SLSA provenance to provenance_attestations', async () => {
      const out = await verifyEvidence(collected(await bundleAttestation(ms, good, statement(mod.digest, 'https://slsa.dev/provenance/v1', { buildDefinition: {} }), mod.digest)), policy);
      expect(out.provenance_attestations.map((e) => e.verified)).toEqual([true]);
    });
  });

  describe('threat model', () => {
    it('rejects an SBOM attestation whose subject is another digest (subject_mismatch)', async () => {
      const other = fakeModule('other').digest;
      const out = await verifyEvidence(collected(await bundleAttestation(ms, good, statement(other, CDX, SBOM), mod.digest)), policy);
      const [e] = out.sbom_attestations;
      expect(e?.verified).toBe(false);
      expect(e?.subject_matches).toBe(false);
      expect(e?.errors.map((x) => x.code)).toEqual(['subject_mismatch']);
      expect(e?.predicate).toBeUndefined();
    });

    it('rejects a legacy signature made for another image (subject_mismatch)', async () => {
      const out = await verifyEvidence(collected(await legacySignature(ms, good, simpleSigningPayload(fakeModule('other').digest), mod.digest)), policy);
      expect(out.signatures[0]?.errors.map((x) => x.code)).toEqual(['subject_mismatch']);
    });

    it('rejects a lookalike workflow identity from a fork (identity_mismatch)', async () => {
      const evil = await ms.issue(githubClaims('acme/app-evil'));
      const out = await verifyEvidence(collected(await bundleAttestation(ms, evil, statement(mod.digest, CDX, SBOM), mod.digest)), policy);
      const [e] = out.sbom_attestations;
      expect(e?.verified).toBe(false);
      expect(e?.errors.map((x) => x.code)).toEqual(['identity_mismatch']);
      expect(e?.certificate?.subject).toBe('https://github.com/acme/app-evil/.github/workflows/build.yml@refs/heads/main');
    });

    it('rejects the right identity from the wrong issuer (issuer_mismatch)', async () => {
      const wrongIssuer = await ms.issue(githubClaims(REPO, 'build.yml', 'refs/heads/main', 'https://token.actions.evil.example'));
      const out = await verifyEvidence(collected(await legacySignature(ms, wrongIssuer, simpleSigningPayload(mod.digest), mod.digest)), policy);
      expect(out.signatures[0]?.errors.map((x) => x.code)).toEqual(['issuer_mismatch']);
    });

    it('rejects a tampered payload (signature_invalid)', async () => {
      const tamper = (b: Buffer): Buffer => Buffer.from(b.toString().replace('"components":[]', '"components":[{"name":"x"}]'));
      const out = await verifyEvidence(collected(
        await legacyAttestation(ms, good, statement(mod.digest, CDX, SBOM), mod.digest, { tamper }),
        await bundleAttestation(ms, good, statement(mod.digest, CDX, SBOM), mod.digest, { tamper }),
        await legacySignature(ms, good, simpleSigningPayload(mod.digest), mod.digest, { tamper: (b) => Buffer.from(b.toString().replace('"optional":null', '"optional":{"x":"y"}')) }),
      ), policy);
      for (const e of [...out.sbom_attestations, ...out.signatures]) {
        expect(e.verified).toBe(false);
        expect(e.errors.map((x) => x.code)).toContain('signature_invalid');
      }
      expect(out.sbom_attestations).toHaveLength(2);
      expect(out.signatures).toHaveLength(1);
    });

    it('rejects an expired certificate with no tlog or timestamp proof (certificate_expired)', async () => {
      const old = await createMockSigstore({ caClock: new Date(Date.now() - 2 * 24 * 3600_000) });
      const oldPolicy = loadTrustPolicy({ keyless: [{ subject_regexp: 'https://github\\.com/acme/app/.*', issuer: 'https://token.actions.githubusercontent.com' }], trusted_roots: [old.trustedRootPath] });
      const signer = await old.issue(githubClaims(REPO));
      const out = await verifyEvidence(collected(await legacyAttestation(old, signer, statement(mod.digest, CDX, SBOM), mod.digest, { noTlog: true })), oldPolicy);
      expect(out.sbom_attestations[0]?.errors.map((x) => x.code)).toEqual(['certificate_expired']);
    });

    it('keeps an unknown predicate type out of the SBOM list (unknown_predicate_type)', async () => {
      const out = await verifyEvidence(collected(await bundleAttestation(ms, good, statement(mod.digest, 'https://cyclonedx.org/bom-but-not-really', SBOM), mod.digest)), policy);
      expect(out.sbom_attestations).toEqual([]);
      const [e] = out.other_attestations;
      expect(e?.errors.map((x) => x.code)).toEqual(['unknown_predicate_type']);
      expect(e?.verified).toBe(false);
      expect(e?.subject_matches).toBe(true);
    });

    it('rejects a key-signed attestation by an attacker key not in the trust config (key_not_trusted)', async () => {
      const trusted = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const attacker = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const keyPolicy = loadTrustPolicy({ keys: [{ id: 'release', pem: trusted.publicKey.export({ format: 'pem', type: 'spki' }).toString() }] });
      const asKeySigned = async (key: typeof attacker): Promise<RawEvidence> => {
        const ev = await legacyAttestation(ms, good, statement(mod.digest, CDX, SBOM), mod.digest, { noTlog: true, signingKey: key.privateKey });
        delete ev.layer.annotations?.['dev.sigstore.cosign/certificate'];
        return ev;
      };
      const out = await verifyEvidence(collected(await asKeySigned(attacker), await asKeySigned(trusted)), keyPolicy);
      expect(out.sbom_attestations[0]?.errors.map((x) => x.code)).toEqual(['key_not_trusted']);
      expect(out.sbom_attestations[1]?.errors).toEqual([]);
      expect(out.sbom_attestations[1]?.key).toEqual({ id: 'release' });
      expect(out.sbom_attestations[1]?.certificate).toBeNull();
    });
  });

  describe('when the trust entries carry roles (issue 20.2)', () => {
    it('stamps verified evidence with its signer\'s roles and unverified evidence with none', async () => {
      const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const other = await ms.issue(githubClaims('acme/other'));
      const rolesPolicy = loadTrustPolicy({
        keys: [{ id: 'release', pem: key.publicKey.export({ format: 'pem', type: 'spki' }).toString(), roles: ['provenance'] }],
        keyless: [{ subject: `https://github.com/${REPO}/.github/workflows/build.yml@refs/heads/main`, issuer: 'https://token.actions.githubusercontent.com', roles: ['sbom', 'signature'] }],
        trusted_roots: [ms.trustedRootPath],
      });
      const keySigned = await legacyAttestation(ms, good, statement(mod.digest, CDX, SBOM), mod.digest, { noTlog: true, signingKey: key.privateKey });
      delete keySigned.layer.annotations?.['dev.sigstore.cosign/certificate'];
      const out = await verifyEvidence(collected(
        await bundleAttestation(ms, good, statement(mod.digest, CDX, SBOM), mod.digest),
        keySigned,
        await bundleAttestation(ms, other, statement(mod.digest, CDX, SBOM), mod.digest),
        await bundleAttestation(ms, good, statement(`sha256:${'0'.repeat(64)}`, CDX, SBOM), mod.digest),
      ), rolesPolicy);
      expect(out.sbom_attestations.map((e) => [e.verified, e.verified_for])).toEqual([
        [true, ['sbom', 'signature']],
        [true, ['provenance']],
        [false, []],
        [false, []],
      ]);
      expect(out.sbom_attestations[2]?.errors.map((x) => x.code)).toEqual(['identity_mismatch']);
      expect(out.sbom_attestations[3]?.errors.map((x) => x.code)).toEqual(['subject_mismatch']);
    });
  });

  describe('when the proof of signing time is an RFC 3161 timestamp (private Sigstore, no tlog)', () => {
    it('verifies with thresholds.tlog 0 and reports tlog_missing with the default threshold', async () => {
      const ev = await bundleAttestation(ms, good, statement(mod.digest, CDX, SBOM), mod.digest, { noTlog: true, tsa: true });
      const noTlog = loadTrustPolicy({ keyless: [{ subject_regexp: 'https://github\\.com/acme/app/.+', issuer: 'https://token.actions.githubusercontent.com' }], trusted_roots: [ms.trustedRootPath], thresholds: { tlog: 0 } });
      const ok = await verifyEvidence(collected(ev), noTlog);
      expect(ok.sbom_attestations[0]?.errors).toEqual([]);
      expect(ok.sbom_attestations[0]?.tlog).toBeNull();
      const strict = await verifyEvidence(collected(ev), policy);
      expect(strict.sbom_attestations[0]?.errors.map((x) => x.code)).toEqual(['tlog_missing']);
    });

    it('rejects a timestamp from a TSA that is not in the trusted roots (timestamp_invalid)', async () => {
      const other = await createMockSigstore();
      const ev = await bundleAttestation(other, good, statement(mod.digest, CDX, SBOM), mod.digest, { noTlog: true, tsa: true });
      const noTlog = loadTrustPolicy({ keyless: [{ subject_regexp: 'https://github\\.com/acme/app/.+', issuer: 'https://token.actions.githubusercontent.com' }], trusted_roots: [ms.trustedRootPath], thresholds: { tlog: 0 } });
      const out = await verifyEvidence(collected(ev), noTlog);
      expect(out.sbom_attestations[0]?.errors.map((x) => x.code)).toEqual(['timestamp_invalid']);
    });
  });

  describe('when the certificate comes from another Sigstore instance', () => {
    it('rejects it (untrusted_root)', async () => {
      const other = await createMockSigstore();
      const foreign = await other.issue(githubClaims(REPO));
      const out = await verifyEvidence(collected(await legacySignature(other, foreign, simpleSigningPayload(mod.digest), mod.digest)), policy);
      expect(out.signatures[0]?.errors.map((x) => x.code)).toEqual(['untrusted_root']);
    });
  });

  describe('when a tlog entry was made by another certificate', () => {
    it('rejects the bundle (tlog_key_mismatch)', async () => {
      const other = await ms.issue(githubClaims(REPO));
      // the signature and certificate are genuine, but the Rekor entry records another certificate
      const payload = simpleSigningPayload(mod.digest);
      const ev = await legacySignature(ms, good, payload, mod.digest, { noTlog: true });
      const sig = ev.layer.annotations!['dev.cosignproject.cosign/signature']!;
      const e = await ms.log({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') } }, signature: { content: sig, publicKey: { content: Buffer.from(other.certPem).toString('base64') } } } });
      ev.layer.annotations!['dev.sigstore.cosign/bundle'] = JSON.stringify({ SignedEntryTimestamp: e.verification.signedEntryTimestamp, Payload: { body: e.body, integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logID } });
      const out = await verifyEvidence(collected(ev), policy);
      expect(out.signatures[0]?.verified).toBe(false);
      expect(out.signatures[0]?.errors.map((x) => x.code)).toEqual(['tlog_key_mismatch']);
    });
  });
});
