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

/**
 * The minimum page count of the memory a module imports (`env.memory`), read from
 * its import section; 0 when it imports none or the section cannot be read (the
 * instantiation then reports the problem).
 */
export function importedMemoryMinPages(bytes: Uint8Array): number {
  let i = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[i++];
      if (b === undefined) throw new RangeError('truncated');
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  const skipName = (): void => {
    const n = leb();
    i += n;
  };
  try {
    while (i < bytes.length) {
      const id = bytes[i++];
      const size = leb();
      const end = i + size;
      if (id !== 2) {
        i = end;
        continue;
      }
      const count = leb();
      for (let k = 0; k < count; k++) {
        skipName();
        skipName();
        const kind = bytes[i++];
        if (kind === 0) leb();
        else if (kind === 1) {
          i++;
          const flags = leb();
          leb();
          if (flags & 1) leb();
        } else if (kind === 2) {
          const flags = leb();
          const min = leb();
          if (flags & 1) leb();
          return min;
        } else if (kind === 3) i += 2;
        else return 0;
      }
      return 0;
    }
  } catch {
    return 0;
  }
  return 0;
}
