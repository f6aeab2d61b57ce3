import { WasmgateError } from '../../common/error.ts';

/** Stable codes of the policy engine. Load-time codes name what is wrong with the bundle. */
export type EngineErrorCode =
  /** the bundle file cannot be read (loadBundleFile) */
  | 'BUNDLE_UNREADABLE'
  | 'BUNDLE_NOT_GZIP'
  | 'BUNDLE_TOO_LARGE'
  | 'BUNDLE_TAR_INVALID'
  | 'BUNDLE_PATH_UNSAFE'
  | 'BUNDLE_LINK_FORBIDDEN'
  | 'BUNDLE_MANIFEST_MISSING'
  | 'BUNDLE_MANIFEST_INVALID'
  | 'BUNDLE_DATA_INVALID'
  | 'BUNDLE_WASM_MISSING'
  | 'BUNDLE_ENTRYPOINT_MISSING'
  | 'WASM_COMPILE_FAILED'
  | 'WASM_ABI_UNSUPPORTED'
  | 'WASM_INSTANTIATE_FAILED'
  | 'BUILTIN_UNAVAILABLE'
  | 'EVAL_ERROR';

/**
 * The kind of an evaluation error, in OPA's vocabulary (the inner `errors[].code`
 * of a 500 `internal_error` answer).
 */
export type EvalErrorKind = 'eval_conflict_error' | 'eval_builtin_error' | 'eval_internal_error';

export class EngineError extends WasmgateError<EngineErrorCode> {}

export function engineError(
  code: EngineErrorCode,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): EngineError {
  return new EngineError(code, message, options);
}
