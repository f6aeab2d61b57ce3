import { PolicyError, VerificationError } from '@sigstore/verify';
import { ValidationError } from '@sigstore/bundle';
import { messageOf } from '../../common/error.ts';
import { evidenceError, type EvidenceErrorV1 } from '../error.ts';

/** Maps a sigstore-js failure to a stable evidence error code with an actionable message. */
export function mapSigstoreError(err: unknown): EvidenceErrorV1 {
  const msg = messageOf(err);
  if (err instanceof ValidationError) return evidenceError('malformed_evidence', `the Sigstore bundle is malformed: ${msg}`);
  if (err instanceof PolicyError) return evidenceError('identity_mismatch', `signer identity rejected: ${msg}`);
  if (err instanceof VerificationError) {
    switch (err.code) {
      case 'SIGNATURE_ERROR':
        return evidenceError('signature_invalid', 'the signature does not verify: the signed content was altered or signed by another key');
      case 'CERTIFICATE_ERROR':
        if (/SCT/.test(msg)) return evidenceError('ctlog_missing', `certificate transparency proof missing or invalid (${msg}); the certificate is not from a configured CT log`);
        if (/expired|not valid/.test(msg)) return evidenceError('certificate_expired', 'the signing certificate was not valid at the proven signing time (tlog integrated time or RFC 3161 timestamp)');
        return evidenceError('untrusted_root', `the signing certificate does not chain to a certificate authority in trust.trusted_roots (${msg}); add the issuing Sigstore instance's trusted_root.json if it is legitimate`);
      case 'PUBLIC_KEY_ERROR':
        return evidenceError('key_not_trusted', `public key rejected: ${msg}`);
      case 'TIMESTAMP_ERROR':
        if (/expected \d+ timestamps, got/.test(msg)) return evidenceError('timestamp_missing', `not enough proof of signing time (${msg}); the evidence needs a transparency-log entry or an RFC 3161 timestamp, or lower trust.thresholds.timestamps`);
        return evidenceError('timestamp_invalid', `timestamp verification failed (${msg}); the timestamp authority is not in trust.trusted_roots or the timestamp does not cover this signature`);
      case 'TLOG_ERROR':
        if (/expected \d+ tlog entries, got/.test(msg)) return evidenceError('tlog_missing', `not enough transparency-log entries (${msg}); sign with a Rekor upload or lower the tlog threshold`);
        return evidenceError('tlog_invalid', `transparency-log check failed: ${msg}`);
      case 'TLOG_INCLUSION_PROOF_ERROR':
      case 'TLOG_INCLUSION_PROMISE_ERROR':
      case 'TLOG_MISSING_INCLUSION_ERROR':
      case 'TLOG_BODY_ERROR':
        return evidenceError('tlog_invalid', `transparency-log entry does not verify (${err.code}: ${msg}); the entry is not from a log in trust.trusted_roots or does not match this signature`);
      case 'NOT_IMPLEMENTED_ERROR':
        return evidenceError('verification_error', `unsupported evidence: ${msg}`);
    }
  }
  return evidenceError('verification_error', `verification failed: ${msg}`);
}
