import { COSIGN_SIGN_PREDICATE_TYPE } from '../../oci/media-types.ts';

/** Where a verified statement goes in the policy input. */
export type Route = 'signatures' | 'sbom_attestations' | 'provenance_attestations' | 'other_attestations';

const SBOM_PREFIXES = ['https://cyclonedx.org/bom', 'https://spdx.dev/Document'];
/** SLSA provenance, including the v1.0 pre-release type slsa-github-generator's delegator builders emitted in 2023 */
const PROVENANCE_TYPES = [
  'https://slsa.dev/provenance/v1',
  'https://slsa.dev/provenance/v1.0?draft',
  'https://slsa.dev/provenance/v0.2',
  'https://slsa.dev/provenance/v0.1',
  'https://in-toto.io/Provenance/v0.1',
];
/** predicate types we know and file under other_attestations without an `unknown_predicate_type` note */
const KNOWN_OTHER_PREFIXES = [
  'https://cosign.sigstore.dev/attestation/',
  'https://in-toto.io/attestation/',
  'https://openvex.dev/ns',
  'https://in-toto.io/Link/',
  'https://slsa.dev/verification_summary/',
];

function hasPrefix(type: string, prefix: string): boolean {
  return type === prefix || type.startsWith(`${prefix}/`);
}

/** Routes a predicate type (opaque URI, compared exactly or by versioned prefix). */
export function routePredicate(predicateType: string | undefined): { route: Route; known: boolean } {
  if (predicateType === undefined || predicateType === COSIGN_SIGN_PREDICATE_TYPE) return { route: 'signatures', known: true };
  if (SBOM_PREFIXES.some((p) => hasPrefix(predicateType, p))) return { route: 'sbom_attestations', known: true };
  if (PROVENANCE_TYPES.includes(predicateType)) return { route: 'provenance_attestations', known: true };
  if (KNOWN_OTHER_PREFIXES.some((p) => predicateType.startsWith(p))) return { route: 'other_attestations', known: true };
  return { route: 'other_attestations', known: false };
}
