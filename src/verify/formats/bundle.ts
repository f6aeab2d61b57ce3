import type { SerializedBundle } from '@sigstore/bundle';
import type { RawEvidence } from '../../oci/types.ts';
import type { Candidate } from './candidate.ts';
import { AdaptError } from './adapt-error.ts';

/** A Sigstore bundle (v0.1–v0.3) stored as a referrer layer: the layer bytes are the bundle JSON. */
export function bundleToCandidate(raw: RawEvidence): Candidate {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw.payload).toString('utf8'));
  } catch (err) {
    throw new AdaptError('Sigstore bundle layer is not JSON', err);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new AdaptError('Sigstore bundle layer is not a JSON object');
  const content = 'dsseEnvelope' in json ? 'dsse' : 'messageSignature' in json ? 'message-signature' : undefined;
  if (!content) throw new AdaptError('Sigstore bundle has neither dsseEnvelope nor messageSignature');
  // A message-signature bundle in a referrer signs bytes we do not have (no payload travels with it).
  return { format: 'sigstore-bundle', content, bundle: json as SerializedBundle };
}
