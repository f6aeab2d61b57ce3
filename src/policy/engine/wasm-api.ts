import { WasmInspectError } from '../../common/wasm/error.ts';
import { ByteReader } from '../../common/wasm/reader.ts';
import { readSection, skipCoreImportDesc } from '../../common/wasm/sections.ts';

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
 * its import section; 0 when it imports none or the bytes cannot be read (the
 * instantiation then reports the problem).
 */
export function importedMemoryMinPages(bytes: Uint8Array): number {
  try {
    return readImportedMemoryMinPages(bytes);
  } catch (err) {
    if (err instanceof WasmInspectError) return 0;
    throw err;
  }
}

/**
 * The same over the bounds-checked reader, without the fallback: a truncated module, an overlong or
 * overflowing LEB128, a section running past the end or an unknown import kind is a coded WasmInspectError.
 */
export function readImportedMemoryMinPages(bytes: Uint8Array): number {
  const r = new ByteReader(bytes);
  r.take(8, 'module header');
  while (!r.done) {
    const { id, body } = readSection(r);
    if (id !== 2) continue;
    const count = body.u32('import count');
    for (let k = 0; k < count; k++) {
      body.name('import module name');
      body.name('import field name');
      if (body.peek() !== 0x02) {
        skipCoreImportDesc(body);
        continue;
      }
      body.byte('import kind');
      body.byte('limits flags');
      return body.u32('memory minimum');
    }
    return 0;
  }
  return 0;
}
