import type { RawEvidence } from '../../oci/types.ts';
import { bundleToCandidate } from './bundle.ts';
import type { Candidate } from './candidate.ts';
import { legacyToCandidate } from './legacy.ts';

/** Adapts any collected evidence to a Sigstore bundle candidate; throws AdaptError on malformed input. */
export function toCandidate(raw: RawEvidence): Candidate {
  switch (raw.kind) {
    case 'sigstore-bundle':
      return bundleToCandidate(raw);
    case 'cosign-legacy-signature':
    case 'cosign-legacy-attestation':
      return legacyToCandidate(raw);
  }
}

export { AdaptError } from './adapt-error.ts';
export type { Candidate } from './candidate.ts';
