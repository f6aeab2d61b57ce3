import { WasmgateError } from '../common/error.ts';

/** Codes of errors thrown by the verify module (configuration and trust loading). */
export type VerifyErrorCode =
  | 'TRUST_CONFIG_INVALID'
  | 'TRUST_KEY_INVALID'
  | 'TRUSTED_ROOT_INVALID'
  | 'TUF_REFRESH_FAILED';

export class VerifyError extends WasmgateError<VerifyErrorCode> {}

/**
 * Stable snake_case codes carried by an unverified `Evidence` (input-v1 `errors[].code`).
 * Policies and operators match on these; never rename one.
 */
export type EvidenceErrorCode =
  | 'malformed_evidence'
  | 'signature_invalid'
  | 'key_not_trusted'
  | 'identity_mismatch'
  | 'issuer_mismatch'
  | 'extension_mismatch'
  | 'untrusted_root'
  | 'certificate_expired'
  | 'ctlog_missing'
  | 'tlog_missing'
  | 'tlog_invalid'
  | 'tlog_key_mismatch'
  | 'timestamp_missing'
  | 'timestamp_invalid'
  | 'subject_mismatch'
  | 'payload_invalid'
  | 'unknown_predicate_type'
  | 'no_trust_configured'
  | 'verification_error';

export interface EvidenceErrorV1 {
  code: EvidenceErrorCode;
  message: string;
}

export function evidenceError(code: EvidenceErrorCode, message: string): EvidenceErrorV1 {
  return { code, message };
}
