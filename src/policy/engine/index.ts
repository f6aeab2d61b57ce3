export { loadBundle, loadBundleFile, withData, embeddedBundlePath } from './engine.ts';
export type { LoadBundleOptions, WasmBundle } from './engine.ts';
export { EngineError } from './error.ts';
export type { EngineErrorCode, EvalErrorKind } from './error.ts';
export { SDK_BUILTINS, NATIVE_WASM_BUILTINS } from './builtins.ts';
export { DEFAULT_MAX_DECOMPRESSED_BYTES } from './archive.ts';
export { compareValues, compareStrings } from './compare.ts';
export type { CustomBuiltin, MemoryLimits } from './instance.ts';
export type { BundleManifest, EvaluationResult, LoadedBundle } from './types.ts';
