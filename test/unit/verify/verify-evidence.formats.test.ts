import { describe, expect, it } from 'vitest';
import { loadTrustPolicy, verifyEvidence } from '../../../src/verify/index.ts';
import type { RawEvidence } from '../../../src/oci/types.ts';
import { fakeModule } from '../../support/verify/mock-sigstore.ts';

const mod = fakeModule();
const trust = loadTrustPolicy({ keyless: [{ subject: 's', issuer: 'i' }] });

function raw(kind: RawEvidence['kind'], payload: string, mediaType: string, annotations: Record<string, string> = {}): RawEvidence {
  return { kind, manifestDigest: 'sha256:' + '1'.repeat(64), attachedTo: mod.digest, discoveredVia: 'referrers-api', layer: { mediaType, digest: 'sha256:' + '2'.repeat(64), size: payload.length, annotations }, payload: Buffer.from(payload) };
}

describe('verifyEvidence on malformed input', () => {
  it('keeps each malformed item, unverified, with malformed_evidence', async () => {
    const out = await verifyEvidence({ module: mod, warnings: [], evidence: [
      raw('sigstore-bundle', '{not json', 'application/vnd.dev.sigstore.bundle.v0.3+json'),
      raw('sigstore-bundle', '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{}}', 'application/vnd.dev.sigstore.bundle.v0.3+json'),
      raw('cosign-legacy-signature', '{}', 'application/vnd.dev.cosign.simplesigning.v1+json'),
      raw('cosign-legacy-attestation', '{}', 'application/vnd.dsse.envelope.v1+json', { 'dev.sigstore.cosign/bundle': '{"bad":1}' }),
      raw('cosign-legacy-attestation', '{}', 'text/plain'),
    ] }, trust);
    const all = [...out.signatures, ...out.other_attestations];
    expect(all).toHaveLength(5);
    for (const e of all) {
      expect(e.verified).toBe(false);
      expect(e.errors.map((x) => x.code)).toEqual(['malformed_evidence']);
      expect(e.errors[0]?.message.length).toBeGreaterThan(10);
    }
    expect(out.signatures).toHaveLength(1);
  });
});
