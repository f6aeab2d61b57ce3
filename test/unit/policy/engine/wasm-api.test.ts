import { describe, expect, it } from 'vitest';
import { importedMemoryMinPages } from '../../../../src/policy/engine/wasm-api.ts';

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
