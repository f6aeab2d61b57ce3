import { describe, expect, it } from 'vitest';
import { importedMemoryMinPages, readImportedMemoryMinPages } from '../../../../src/policy/engine/wasm-api.ts';
import { codeOf } from '../../../support/errors.ts';

const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const name = (s: string): number[] => [s.length, ...Buffer.from(s)];

/** A module whose only section imports env.memory with the given limits (min ≥ 128 uses two LEB bytes). */
function moduleImportingMemory(min: number, max?: number): Uint8Array {
  const minLeb = min < 128 ? [min] : [(min & 0x7f) | 0x80, min >> 7];
  const limits = max === undefined ? [0x00, ...minLeb] : [0x01, ...minLeb, max];
  const body = [1, ...name('env'), ...name('memory'), 0x02, ...limits];
  return new Uint8Array([...header, 0x02, body.length, ...body]);
}

describe('importedMemoryMinPages', () => {
  it('reads the minimum of an imported memory', () => {
    expect(importedMemoryMinPages(moduleImportingMemory(40))).toBe(40);
    expect(importedMemoryMinPages(moduleImportingMemory(300, 100))).toBe(300);
  });
  it('skips function imports before the memory', () => {
    const body = [2, ...name('env'), ...name('opa_abort'), 0x00, 0x01, ...name('env'), ...name('memory'), 0x02, 0x00, 7];
    expect(importedMemoryMinPages(new Uint8Array([...header, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, body.length, ...body]))).toBe(7);
  });
  it('answers 0 for a module without imports or truncated bytes', () => {
    expect(importedMemoryMinPages(new Uint8Array(header))).toBe(0);
    expect(importedMemoryMinPages(moduleImportingMemory(40).subarray(0, 14))).toBe(0);
  });
});

describe('readImportedMemoryMinPages: the checked reader, coded errors', () => {
  const memoryImport = (minLeb: number[]): Uint8Array => {
    const body = [1, ...name('env'), ...name('memory'), 0x02, 0x00, ...minLeb];
    return new Uint8Array([...header, 0x02, body.length, ...body]);
  };
  it('reads the minimum through the shared reader', () => {
    expect(readImportedMemoryMinPages(moduleImportingMemory(300, 100))).toBe(300);
    expect(readImportedMemoryMinPages(new Uint8Array(header))).toBe(0);
  });
  it('refuses truncation, overlong LEB128 and sections running past the end', () => {
    expect(codeOf(() => readImportedMemoryMinPages(moduleImportingMemory(40).subarray(0, 14)))).toBe('WASM_SECTION_PAST_END');
    expect(codeOf(() => readImportedMemoryMinPages(new Uint8Array([...header, 0x02, 0x80])))).toBe('WASM_TRUNCATED');
    expect(codeOf(() => readImportedMemoryMinPages(memoryImport([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])))).toBe('WASM_LEB128_OVERFLOW');
    expect(codeOf(() => readImportedMemoryMinPages(memoryImport([0xff, 0xff, 0xff, 0xff, 0x7f])))).toBe('WASM_LEB128_OVERFLOW');
  });
  it('keeps the fallback: an unreadable module is 0 pages, never a number read past a bound', () => {
    // an overlong minimum: the unchecked parser read it as 2^35 pages
    expect(importedMemoryMinPages(memoryImport([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).toBe(0);
    // the import section declares 3 bytes; the memory entry lies beyond it (the unchecked parser read on)
    const body = [1, ...name('env'), ...name('memory'), 0x02, 0x00, 9];
    expect(importedMemoryMinPages(new Uint8Array([...header, 0x02, 3, ...body]))).toBe(0);
  });
});
