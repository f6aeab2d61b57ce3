import { WasmgateError } from '../../common/error.ts';

/** Stable codes of the bundle lifecycle (download, verification, activation, persistence). */
export type BundleErrorCode =
  | 'BUNDLE_SOURCE_INVALID'
  | 'BUNDLE_DOWNLOAD_FAILED'
  | 'BUNDLE_HTTP_ERROR'
  | 'BUNDLE_SIGNATURE_MISSING'
  | 'BUNDLE_SIGNATURE_UNEXPECTED'
  | 'BUNDLE_SIGNATURE_INVALID'
  | 'BUNDLE_KEY_INVALID'
  | 'BUNDLE_ROOTS_OVERLAP'
  | 'BUNDLE_ROOTS_INVALID'
  | 'BUNDLE_SELFTEST_INVALID'
  | 'BUNDLE_SELFTEST_FAILED'
  | 'BUNDLE_PERSIST_FAILED'
  | 'BUNDLE_SIGN_FAILED'
  | 'BUNDLE_DELTA_INVALID';

export class BundleError extends WasmgateError<BundleErrorCode> {}

export function bundleError(
  code: BundleErrorCode,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): BundleError {
  return new BundleError(code, message, options);
}
