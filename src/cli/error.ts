import { WasmgateError } from '../common/error.ts';

/** Codes of the command line itself (flags, files, tools); what the commands call throws its own codes. */
export type CliErrorCode =
  /** a flag value or a combination of flags that does not work (scan) */
  | 'CLI_USAGE'
  /** a flag value out of range (check, evidence) */
  | 'INVALID_ARGUMENT'
  /** inspect --max-bytes is not a positive whole number */
  | 'INSPECT_BAD_OPTION'
  /** inspect: the module has no wasm layer */
  | 'INSPECT_NO_WASM_LAYER'
  /** inspect: the path is not a regular file */
  | 'INSPECT_NOT_A_FILE'
  /** inspect: the file cannot be read */
  | 'INSPECT_READ_FAILED'
  /** evidence --input: no input document could be assembled */
  | 'NO_INPUT'
  /** bundle sign: the bundle file cannot be read */
  | 'BUNDLE_NOT_FOUND'
  /** bundle build: data.json still sets keys that moved to the trust configuration */
  | 'BUNDLE_DATA_MOVED'
  /** bundle build: refusing to overwrite the shipped bundle without --force */
  | 'BUNDLE_OUTPUT_EXISTS'
  /** bundle build: no `opa` to run */
  | 'OPA_NOT_FOUND'
  /** bundle build: `opa build` failed */
  | 'BUNDLE_BUILD_FAILED';

export class CliError extends WasmgateError<CliErrorCode> {}
