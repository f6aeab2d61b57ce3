import { WasmgateError, messageOf, type CommonErrorCode } from '../common/error.ts';
import type { AssembleErrorCode } from '../assemble/error.ts';
import type { SbomErrorCode } from '../analyse/sbom/error.ts';
import type { VulnErrorCode } from '../analyse/vulns/error.ts';
import type { WasmInspectErrorCode } from '../common/wasm/error.ts';
import type { ConfigErrorCode } from '../config/error.ts';
import type { BundleErrorCode } from '../policy/bundles/error.ts';
import type { EngineErrorCode } from '../policy/engine/error.ts';
import type { EvaluationPoolErrorCode } from '../policy/pool/error.ts';
import type { RegistryErrorCode } from '../registry/error.ts';
import type { ResolveErrorCode } from '../resolve/error.ts';
import type { VerifyErrorCode } from '../verify/error.ts';
import { CallerError, type CallerErrorKind, type DecideErrorCode } from './error.ts';

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

export type { CallerErrorKind };

/**
 * Every error code that can reach a decision: the codes of every area at or below decide (the layers a Decider is
 * built from). Codes of the layers above (logs, server, integrations, cli) never pass through a Decider.
 */
export type ErrorCode =
  | CommonErrorCode
  | ConfigErrorCode
  | ResolveErrorCode
  | RegistryErrorCode
  | VerifyErrorCode
  | SbomErrorCode
  | VulnErrorCode
  | WasmInspectErrorCode
  | AssembleErrorCode
  | BundleErrorCode
  | EngineErrorCode
  | EvaluationPoolErrorCode
  | DecideErrorCode;

/**
 * The one table mapping module error codes to deny reasons (or caller errors). Exhaustive: a code declared in an
 * area's union and missing here, or listed here and declared nowhere, does not compile. A code that is not in it at
 * run time (a foreign error, a higher layer's code) is `internal_error`.
 */
const REASONS = {
  // common, config, verify: startup and configuration; at decision time a wasmgate bug
  VERSION_UNKNOWN: 'internal_error',
  CONFIG_INVALID: 'internal_error',
  CONFIG_UNREADABLE: 'internal_error',
  CONFIG_PARSE_ERROR: 'internal_error',
  TRUST_CONFIG_INVALID: 'internal_error',
  TRUST_KEY_INVALID: 'internal_error',
  TRUSTED_ROOT_INVALID: 'internal_error',
  TUF_REFRESH_FAILED: 'internal_error',
  // resolve
  INVALID_REFERENCE: 'invalid_ref',
  // registry (and OCI layouts)
  REGISTRY_UNREACHABLE: 'registry_unreachable',
  REGISTRY_PROTOCOL_ERROR: 'registry_unreachable',
  REGISTRY_UNAUTHORIZED: 'registry_auth_failed',
  MANIFEST_UNKNOWN: 'module_not_found',
  BLOB_UNKNOWN: 'module_not_found',
  LAYOUT_INVALID: 'module_not_found',
  DIGEST_MISMATCH: 'digest_mismatch',
  SIZE_LIMIT_EXCEEDED: 'evidence_too_large',
  DEADLINE_EXCEEDED: 'timeout',
  ABORTED: 'timeout',
  HOST_NOT_ALLOWED: 'host_not_allowed',
  LAYOUT_NOT_ALLOWED: 'host_not_allowed',
  MANIFEST_INVALID: 'invalid_manifest',
  REGISTRY_REDIRECT_REFUSED: 'registry_refused',
  REGISTRY_REALM_REFUSED: 'registry_refused',
  INVALID_ARGUMENT: 'internal_error',
  // analyse: SBOM and wasm problems become input errors, not throws; a throw is a bug
  SBOM_INVALID: 'internal_error',
  SBOM_UNSUPPORTED: 'internal_error',
  CARGO_LOCK_INVALID: 'internal_error',
  VULN_DB_LOAD_ERROR: 'vulnerability_db_unavailable',
  VULN_DB_EMPTY: 'vulnerability_db_unavailable',
  VULN_DB_REFRESH_ERROR: 'vulnerability_db_unavailable',
  VULN_REPORT_INVALID: 'vulnerability_db_unavailable',
  WASM_TOO_LARGE: 'internal_error',
  WASM_BAD_MAGIC: 'internal_error',
  WASM_UNSUPPORTED_VERSION: 'internal_error',
  WASM_TRUNCATED: 'internal_error',
  WASM_LEB128_OVERFLOW: 'internal_error',
  WASM_SECTION_PAST_END: 'internal_error',
  WASM_SECTION_SIZE_MISMATCH: 'internal_error',
  WASM_MALFORMED: 'internal_error',
  WASM_BAD_NAME: 'internal_error',
  WASM_NESTING_TOO_DEEP: 'internal_error',
  WASM_TOO_MANY_ENTRIES: 'internal_error',
  WASM_BAD_PRODUCERS: 'internal_error',
  WASM_DEP_V0_TOO_LARGE: 'internal_error',
  WASM_DEP_V0_INVALID: 'internal_error',
  // assemble
  INPUT_SCHEMA_INVALID: 'invalid_evidence',
  // policy: bundles (lifecycle) and engine (loading): no bundle that can be trusted to decide
  BUNDLE_SOURCE_INVALID: 'no_trusted_policy',
  BUNDLE_DOWNLOAD_FAILED: 'no_trusted_policy',
  BUNDLE_HTTP_ERROR: 'no_trusted_policy',
  BUNDLE_SIGNATURE_MISSING: 'no_trusted_policy',
  BUNDLE_SIGNATURE_UNEXPECTED: 'no_trusted_policy',
  BUNDLE_SIGNATURE_INVALID: 'no_trusted_policy',
  BUNDLE_KEY_INVALID: 'no_trusted_policy',
  BUNDLE_ROOTS_OVERLAP: 'no_trusted_policy',
  BUNDLE_ROOTS_INVALID: 'no_trusted_policy',
  BUNDLE_SELFTEST_INVALID: 'no_trusted_policy',
  BUNDLE_SELFTEST_FAILED: 'no_trusted_policy',
  BUNDLE_PERSIST_FAILED: 'no_trusted_policy',
  BUNDLE_SIGN_FAILED: 'no_trusted_policy',
  BUNDLE_DELTA_INVALID: 'no_trusted_policy',
  BUNDLE_UNREADABLE: 'no_trusted_policy',
  BUNDLE_NOT_GZIP: 'no_trusted_policy',
  BUNDLE_TOO_LARGE: 'no_trusted_policy',
  BUNDLE_TAR_INVALID: 'no_trusted_policy',
  BUNDLE_PATH_UNSAFE: 'no_trusted_policy',
  BUNDLE_LINK_FORBIDDEN: 'no_trusted_policy',
  BUNDLE_MANIFEST_MISSING: 'no_trusted_policy',
  BUNDLE_MANIFEST_INVALID: 'no_trusted_policy',
  BUNDLE_DATA_INVALID: 'no_trusted_policy',
  BUNDLE_WASM_MISSING: 'no_trusted_policy',
  BUNDLE_ENTRYPOINT_MISSING: 'no_trusted_policy',
  WASM_COMPILE_FAILED: 'internal_error',
  WASM_ABI_UNSUPPORTED: 'internal_error',
  WASM_INSTANTIATE_FAILED: 'internal_error',
  BUILTIN_UNAVAILABLE: 'internal_error',
  EVAL_ERROR: 'internal_error',
  // policy: evaluation pool
  EVALUATION_OVERLOADED: 'overloaded',
  EVALUATION_WORKER_CRASHED: 'internal_error',
  // decide
  NO_TRUSTED_POLICY: 'no_trusted_policy',
  DECISION_OVERLOADED: 'overloaded',
  DECISION_TIMEOUT: 'timeout',
} as const satisfies Record<ErrorCode, DenyReason | CallerErrorKind>;

const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(REASONS, code);

const CALLER: ReadonlySet<string> = new Set<CallerErrorKind>(['invalid_ref', 'host_not_allowed']);
const isCallerKind = (reason: DenyReason | CallerErrorKind): reason is CallerErrorKind => CALLER.has(reason);

export type Classified = { kind: 'deny'; reason: DenyReason; message: string } | { kind: 'caller'; reason: CallerErrorKind; message: string };

/** Classifies anything thrown on the way to a decision. Never yields an allow. */
export function classifyError(err: unknown): Classified {
  const message = messageOf(err);
  if (err instanceof CallerError) return { kind: 'caller', reason: err.reason, message };
  if (WasmgateError.isWasmgateError(err) && isErrorCode(err.code)) {
    const reason: DenyReason | CallerErrorKind = REASONS[err.code];
    return isCallerKind(reason) ? { kind: 'caller', reason, message } : { kind: 'deny', reason, message };
  }
  if (err instanceof Error && err.name === 'AbortError') return { kind: 'deny', reason: 'timeout', message };
  return { kind: 'deny', reason: 'internal_error', message };
}
