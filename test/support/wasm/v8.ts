/** V8's WebAssembly API, typed for the tests (the project's lib settings do not declare it). */
export interface V8Module {
  readonly __v8Module?: never;
}

export interface V8WebAssembly {
  compile(bytes: Uint8Array): Promise<V8Module>;
  Module: {
    imports(m: V8Module): Array<{ module: string; name: string; kind: string }>;
    exports(m: V8Module): Array<{ name: string; kind: string }>;
    customSections(m: V8Module, name: string): ArrayBuffer[];
  };
}

export const V8: V8WebAssembly = (globalThis as unknown as { WebAssembly: V8WebAssembly }).WebAssembly;
