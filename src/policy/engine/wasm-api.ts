/**
 * The slice of the WebAssembly JS API the engine uses. The project compiles
 * without the DOM lib (which is where TypeScript declares `WebAssembly`), so the
 * global is typed here once.
 */
export interface WasmModule {
  readonly [Symbol.toStringTag]: string;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmMemoryDescriptor {
  initial: number;
  maximum?: number;
}

interface WasmApi {
  compile(bytes: ArrayBuffer): Promise<WasmModule>;
  Module: { exports(module: WasmModule): Array<{ name: string; kind: string }> };
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
