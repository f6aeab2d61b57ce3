import { WasmgateError } from '../error.ts';

/** Why a module's bytes could not be read. Every code names one way hostile or broken input fails. */
export type WasmInspectErrorCode =
  /** the module is larger than the configured bound (checked before any parsing) */
  | 'WASM_TOO_LARGE'
  /** the bytes do not start with `\0asm` */
  | 'WASM_BAD_MAGIC'
  /** a version/layer pair that is neither a core module (1/0) nor a component (layer 1) */
  | 'WASM_UNSUPPORTED_VERSION'
  /** the input ends inside a value */
  | 'WASM_TRUNCATED'
  /** a LEB128 number is longer than its type allows or sets bits past it */
  | 'WASM_LEB128_OVERFLOW'
  /** a section (or a length-prefixed item) claims more bytes than remain */
  | 'WASM_SECTION_PAST_END'
  /** a section's contents do not fill exactly its declared size */
  | 'WASM_SECTION_SIZE_MISMATCH'
  /** a byte that the format does not allow here (unknown section id, kind, tag) */
  | 'WASM_MALFORMED'
  /** a name that is not valid UTF-8 */
  | 'WASM_BAD_NAME'
  /** components nested deeper than the bound */
  | 'WASM_NESTING_TOO_DEEP'
  /** more imports, exports or sections than the bound */
  | 'WASM_TOO_MANY_ENTRIES'
  /** a `producers` custom section that does not follow the tool-conventions format */
  | 'WASM_BAD_PRODUCERS'
  /** `.dep-v0` inflates past the bound (a zlib bomb, or an absurd dependency list) */
  | 'WASM_DEP_V0_TOO_LARGE'
  /** `.dep-v0` is not zlib data, or not cargo-auditable JSON */
  | 'WASM_DEP_V0_INVALID';

export class WasmInspectError extends WasmgateError<WasmInspectErrorCode> {}
