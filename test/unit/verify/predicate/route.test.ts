import { describe, expect, it } from 'vitest';
import { routePredicate } from '../../../../src/verify/index.ts';
import { parseSimpleSigning } from '../../../../src/verify/binding/simple-signing.ts';
import { parseStatement } from '../../../../src/verify/binding/statement.ts';

describe('routePredicate', () => {
  it.each([
    ['https://cyclonedx.org/bom', 'sbom_attestations', true],
    ['https://cyclonedx.org/bom/v1.5', 'sbom_attestations', true],
    ['https://spdx.dev/Document', 'sbom_attestations', true],
    ['https://spdx.dev/Document/v2.3', 'sbom_attestations', true],
    ['https://slsa.dev/provenance/v1', 'provenance_attestations', true],
    ['https://slsa.dev/provenance/v0.2', 'provenance_attestations', true],
    ['https://sigstore.dev/cosign/sign/v1', 'signatures', true],
    ['https://cosign.sigstore.dev/attestation/vuln/v1', 'other_attestations', true],
    ['https://openvex.dev/ns/v0.2.0', 'other_attestations', true],
    ['https://cyclonedx.org/bomb', 'other_attestations', false],
    ['https://slsa.dev/provenance/v1-evil', 'other_attestations', false],
    ['https://example.com/custom', 'other_attestations', false],
  ])('routes %s to %s', (type, route, known) => {
    expect(routePredicate(type)).toEqual({ route, known });
  });
});

describe('parseSimpleSigning', () => {
  it('reads the manifest digest and rejects another payload type', () => {
    const ok = parseSimpleSigning(Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'r' }, image: { 'docker-manifest-digest': 'sha256:AB' }, type: 'cosign container image signature' }, optional: null })));
    expect(ok).toEqual({ ok: true, value: { dockerManifestDigest: 'sha256:ab', dockerReference: 'r', optional: null } });
    expect(parseSimpleSigning(Buffer.from('{"critical":{"type":"other","image":{"docker-manifest-digest":"sha256:ab"}}}')).ok).toBe(false);
    expect(parseSimpleSigning(Buffer.from('nope')).ok).toBe(false);
  });
});

describe('parseStatement', () => {
  it('accepts Statement v0.1 and v1 and rejects other payload types', () => {
    const st = (t: string) => Buffer.from(JSON.stringify({ _type: t, subject: [{ digest: { sha256: 'AA' } }], predicateType: 'p', predicate: {} }));
    expect(parseStatement('application/vnd.in-toto+json', st('https://in-toto.io/Statement/v0.1'))).toMatchObject({ ok: true, value: { subjectDigests: ['sha256:aa'] } });
    expect(parseStatement('application/vnd.in-toto+json', st('https://in-toto.io/Statement/v1')).ok).toBe(true);
    expect(parseStatement('application/vnd.in-toto+json', st('https://example.com/Statement')).ok).toBe(false);
    expect(parseStatement('text/plain', st('https://in-toto.io/Statement/v1')).ok).toBe(false);
  });
});

describe('parsers on hostile input (property, fixed seed)', () => {
  it('never throw, whatever the bytes', async () => {
    const fc = (await import('fast-check')).default;
    const { verifyOne, loadTrustPolicy } = await import('../../../../src/verify/index.ts');
    const { fakeModule } = await import('../../../support/verify/mock-sigstore.ts');
    const trust = loadTrustPolicy({ trusted_roots: 'none' });
    const mod = fakeModule();
    const kinds = ['sigstore-bundle', 'cosign-legacy-signature', 'cosign-legacy-attestation'] as const;
    fc.assert(fc.property(fc.constantFrom(...kinds), fc.oneof(fc.json(), fc.string()), fc.dictionary(fc.constantFrom('dev.cosignproject.cosign/signature', 'dev.sigstore.cosign/certificate', 'dev.sigstore.cosign/bundle', 'dev.sigstore.cosign/rfc3161timestamp'), fc.oneof(fc.json(), fc.string())), (kind, body, annotations) => {
      expect(parseStatement('application/vnd.in-toto+json', Buffer.from(body)).ok).toBeTypeOf('boolean');
      expect(parseSimpleSigning(Buffer.from(body)).ok).toBeTypeOf('boolean');
      const { evidence } = verifyOne({ kind, manifestDigest: mod.digest, attachedTo: mod.digest, discoveredVia: 'referrers-api', layer: { mediaType: kind === 'cosign-legacy-attestation' ? 'application/vnd.dsse.envelope.v1+json' : 'x', digest: mod.digest, size: 1, annotations }, payload: Buffer.from(body) }, mod, trust);
      expect(evidence.verified).toBe(false);
      expect(evidence.errors.length).toBeGreaterThan(0);
    }), { seed: 4242, numRuns: 300 });
  });
});
