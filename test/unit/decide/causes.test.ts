import { describe, expect, it } from 'vitest';
import type { Evidence, InputV1 } from '../../../src/contract/input-v1.ts';
import { denyCauses } from '../../../src/decide/causes.ts';

const SBOM_REASON = 'WASM module missing a valid CycloneDX SBOM attestation from the build pipeline.';
const PROV_REASON = 'WASM module missing a valid SLSA provenance attestation.';
const BUILD = 'https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main';
const GHA = 'https://token.actions.githubusercontent.com';

function evidence(o: Partial<Evidence>): Evidence {
  return {
    verified: true, errors: [], format: 'sigstore-bundle', manifest_digest: `sha256:${'a'.repeat(64)}`, subject_matches: true,
    certificate: { subject: BUILD, issuer: GHA, extensions: {} }, key: null, tlog: null, verified_for: ['sbom', 'signature'],
    predicate: { bomFormat: 'CycloneDX' }, ...o,
  };
}

function input(o: Partial<InputV1>): InputV1 {
  return {
    module: { ref: 'r', repository: 'r', digest: `sha256:${'b'.repeat(64)}`, layers: [], wasm: null },
    signatures: [], sbom_attestations: [], provenance_attestations: [], other_attestations: [],
    vulnerability_scan: { source: 'osv', database: { name: 'osv', built: '', records: 1 }, matches: [] },
    request: { time: '2026-01-01T00:00:00Z' }, ...o,
  };
}

describe('denyCauses', () => {
  describe('when the reason is critical vulnerabilities', () => {
    it('lists each Critical advisory with package@version and the fixed versions, and no other severity', () => {
      const crit = { vulnerability: { id: 'RUSTSEC-2021-0003', aliases: ['CVE-2021-25900'], severity: 'Critical' as const, fixed_in: ['1.6.1'], informational: null }, artifact: { name: 'smallvec', version: '1.6.0', purl: 'pkg:cargo/smallvec@1.6.0' } };
      const high = { ...crit, vulnerability: { ...crit.vulnerability, id: 'RUSTSEC-X', severity: 'High' as const, fixed_in: [] } };
      const unfixed = { ...crit, vulnerability: { ...crit.vulnerability, id: 'RUSTSEC-Y', aliases: [], fixed_in: [] } };
      const inp = input({ vulnerability_scan: { source: 'osv', database: { name: 'osv', built: '', records: 3 }, matches: [crit, high, unfixed] } });
      expect(denyCauses('WASM module SBOM contains 2 critical vulnerabilities.', inp)).toEqual([
        'RUSTSEC-2021-0003 (Critical, CVE-2021-25900) smallvec@1.6.0: fixed in 1.6.1',
        'RUSTSEC-Y (Critical) smallvec@1.6.0: no fixed version',
      ]);
    });
  });

  describe('when the reason is a missing SBOM or provenance attestation', () => {
    it('says when nothing is attached', () => {
      expect(denyCauses(SBOM_REASON, input({}))).toEqual(['no SBOM attestation is attached to this module']);
      expect(denyCauses(PROV_REASON, input({}))).toEqual(['no provenance attestation is attached to this module']);
    });
    it('names each rejected piece of evidence with its error code and its signer (identity or key)', () => {
      const inp = input({ sbom_attestations: [
        evidence({ verified: false, verified_for: [], errors: [{ code: 'identity_mismatch', message: 'certificate subject "x" matches no configured identity' }], certificate: { subject: 'x', issuer: GHA, extensions: {} } }),
        evidence({ verified: false, verified_for: [], certificate: null, errors: [{ code: 'key_not_trusted', message: 'the signature (by key sha256:ab) verifies with none of the configured keys' }] }),
      ] });
      expect(denyCauses(SBOM_REASON, inp)).toEqual([
        `SBOM attestation in sha256:${'a'.repeat(64)}, signer x (issuer ${GHA}): rejected, identity_mismatch: certificate subject "x" matches no configured identity`,
        `SBOM attestation in sha256:${'a'.repeat(64)}, signer not established: rejected, key_not_trusted: the signature (by key sha256:ab) verifies with none of the configured keys`,
      ]);
    });
    it('names a verified signer that lacks the role, and a verified SBOM that is not CycloneDX', () => {
      const inp = input({
        sbom_attestations: [evidence({ predicate: { spdxVersion: 'SPDX-2.3' } })],
        provenance_attestations: [evidence({ certificate: null, key: { id: 'build-key' } })],
      });
      expect(denyCauses(SBOM_REASON, inp)).toEqual([`SBOM attestation in sha256:${'a'.repeat(64)}, signer ${BUILD} (issuer ${GHA}): verified for sbom, but its predicate is not a CycloneDX document`]);
      expect(denyCauses(PROV_REASON, inp)).toEqual([`provenance attestation in sha256:${'a'.repeat(64)}, key build-key: verified, but the trust configuration gives this signer the roles sbom, signature, not provenance (add provenance to its roles: in trust.keyless[] / trust.keys[] if it may sign provenance attestations)`]);
    });
  });

  describe('when there is no input or the reason is another rule\'s', () => {
    it('returns no cause (the reason says it all)', () => {
      expect(denyCauses(SBOM_REASON, null)).toEqual([]);
      expect(denyCauses('WASM module embeds ring 0.17.7, but its verified SBOM says ring 0.17.8.', input({}))).toEqual([]);
    });
  });
});
