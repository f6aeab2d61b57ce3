import { WasmgateError } from '../common/error.ts';

export type AssembleErrorCode =
  /** the assembled input document breaks the input-v1 schema (a wasmgate bug) */
  | 'INPUT_SCHEMA_INVALID';

export class AssembleError extends WasmgateError<AssembleErrorCode> {}
