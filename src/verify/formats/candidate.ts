import type { SerializedBundle } from '@sigstore/bundle';
import type { EvidenceFormat } from '../../contract/input-v1.ts';

/** One piece of evidence adapted to a Sigstore bundle, ready for sigstore-js. */
export interface Candidate {
  format: EvidenceFormat;
  /** what is signed: a message (cosign .sig payload) or a DSSE envelope (statements) */
  content: 'message-signature' | 'dsse';
  bundle: SerializedBundle;
  /** the signed bytes of a message signature (the simple-signing payload); absent for DSSE */
  artifact?: Buffer;
}
