import { WasmgateError, messageOf } from '../common/error.ts';

/** Fail-closed deny reasons (snake_case, stable: policies and operators match on them). */
export type DenyReason =
  | 'registry_unreachable'
  | 'registry_auth_failed'
  | 'module_not_found'
  | 'digest_mismatch'
  | 'evidence_too_large'
  | 'timeout'
  | 'no_trusted_policy'
  | 'vulnerability_db_unavailable'
  | 'invalid_evidence'
  /** a manifest or index that is not valid JSON or breaks the OCI image spec */
  | 'invalid_manifest'
  /** the registry sent wasmgate somewhere it may not go (a redirect or token service off the allow-lists, a file: URL) */
  | 'registry_refused'
  /** more uncached decisions than decision.admission allows were running and waiting: shed at once */
  | 'overloaded'
  | 'internal_error';

/** Errors that are the caller's mistake: the server answers 4xx instead of a decision. */
export type CallerErrorKind = 'invalid_ref' | 'host_not_allowed';

/**
 * The one table mapping module error codes to deny reasons (or caller errors).
 * Exact codes first; then the prefix rules below; anything else is `internal_error`.
 */
const EXACT: Readonly<Record<string, DenyReason | CallerErrorKind>> = {
  DEADLINE_EXCEEDED: 'timeout',
  DECISION_TIMEOUT: 'timeout',
  REGISTRY_TIMEOUT: 'registry_unreachable',
  REGISTRY_UNREACHABLE: 'registry_unreachable',
  REGISTRY_CONNECTION_ERROR: 'registry_unreachable',
  REGISTRY_HTTP_ERROR: 'registry_unreachable',
  REGISTRY_AUTH_ERROR: 'registry_auth_failed',
  REGISTRY_UNAUTHORIZED: 'registry_auth_failed',
  MANIFEST_NOT_FOUND: 'module_not_found',
  MANIFEST_UNKNOWN: 'module_not_found',
  BLOB_UNKNOWN: 'module_not_found',
  LAYOUT_INVALID: 'module_not_found',
  ABORTED: 'timeout',
  REF_NOT_FOUND: 'module_not_found',
  TAG_NOT_FOUND: 'module_not_found',
  LAYOUT_NOT_FOUND: 'module_not_found',
  BLOB_NOT_FOUND: 'module_not_found',
  DIGEST_MISMATCH: 'digest_mismatch',
  SIZE_LIMIT_EXCEEDED: 'evidence_too_large',
  TOO_LARGE: 'evidence_too_large',
  NO_BUNDLE: 'no_trusted_policy',
  NO_ACTIVE_BUNDLE: 'no_trusted_policy',
  NO_TRUSTED_POLICY: 'no_trusted_policy',
  BUNDLE_NOT_ACTIVE: 'no_trusted_policy',
  ENTRYPOINT_NOT_FOUND: 'no_trusted_policy',
  VULN_DB_UNAVAILABLE: 'vulnerability_db_unavailable',
  VULNDB_UNAVAILABLE: 'vulnerability_db_unavailable',
  INPUT_SCHEMA_INVALID: 'invalid_evidence',
  REF_INVALID: 'invalid_ref',
  INVALID_REF: 'invalid_ref',
  INVALID_REFERENCE: 'invalid_ref',
  REF_PARSE_ERROR: 'invalid_ref',
  DIGEST_INVALID: 'invalid_ref',
  HOST_NOT_ALLOWED: 'host_not_allowed',
  EVALUATION_OVERLOADED: 'overloaded',
  LAYOUT_NOT_ALLOWED: 'host_not_allowed',
  MANIFEST_INVALID: 'invalid_manifest',
  REGISTRY_REDIRECT_REFUSED: 'registry_refused',
  REGISTRY_REALM_REFUSED: 'registry_refused',
  DECISION_OVERLOADED: 'overloaded',
  REGISTRY_NOT_ALLOWED: 'host_not_allowed',
};

const PREFIX: ReadonlyArray<readonly [string, DenyReason]> = [
  ['REGISTRY_', 'registry_unreachable'],
  ['BUNDLE_', 'no_trusted_policy'],
  ['ENGINE_', 'no_trusted_policy'],
  ['VULN', 'vulnerability_db_unavailable'],
];

const CALLER: ReadonlySet<string> = new Set<CallerErrorKind>(['invalid_ref', 'host_not_allowed']);

export type Classified = { kind: 'deny'; reason: DenyReason; message: string } | { kind: 'caller'; reason: CallerErrorKind; message: string };

/** Classifies anything thrown on the way to a decision. Never yields an allow. */
export function classifyError(err: unknown): Classified {
  const message = messageOf(err);
  if (WasmgateError.isWasmgateError(err)) {
    const exact = EXACT[err.code];
    if (exact !== undefined) {
      return CALLER.has(exact) ? { kind: 'caller', reason: exact as CallerErrorKind, message } : { kind: 'deny', reason: exact as DenyReason, message };
    }
    for (const [prefix, reason] of PREFIX) if (err.code.startsWith(prefix)) return { kind: 'deny', reason, message };
  }
  if (err instanceof Error && err.name === 'AbortError') return { kind: 'deny', reason: 'timeout', message };
  return { kind: 'deny', reason: 'internal_error', message };
}
