export { inspectWasm, checkSize } from './inspect.ts';
export { embeddedDependenciesToComponents } from './embedded-components.ts';
export { WasmInspectError } from '../../common/wasm/error.ts';
export { DEFAULT_MAX_WASM_BYTES, DEFAULT_MAX_DEP_V0_BYTES } from './limits.ts';
export type { InspectOptions, WasmFacts, WasmModuleFacts } from './inspect.ts';
export type { EmbeddedComponent } from './embedded-components.ts';
export type { WasmInspectErrorCode } from '../../common/wasm/error.ts';
export { inspectWasmLayer } from './layer.ts';
export { formatWasmFacts } from './format.ts';
