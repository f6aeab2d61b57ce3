import { WasmgateError } from '../../common/error.ts';

export type SbomErrorCode =
  | 'SBOM_INVALID'
  | 'SBOM_UNSUPPORTED'
  | 'CARGO_LOCK_INVALID';

/** Errors of SBOM / lockfile parsing. `details.path` names the JSON path (or TOML key) that was wrong. */
export class SbomError extends WasmgateError<SbomErrorCode> {}
