/**
 * The one wasm byte reader (LEB128, lengths, sections) that the module inspector and the policy engine share:
 * properties over arbitrary bytes. Every read either yields a value inside the bounds or throws a coded
 * WasmInspectError; nothing reads past the end or returns a number wider than its type.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WasmgateError } from '../../../../src/common/error.ts';
import { WasmInspectError } from '../../../../src/common/wasm/error.ts';
import { ByteReader } from '../../../../src/common/wasm/reader.ts';
import { readSection } from '../../../../src/common/wasm/sections.ts';

const SEED = 0x1eb128;
const runs = { seed: SEED, numRuns: 2000 };

/** Unsigned LEB128 of `n`, padded with continuation bytes to `width` bytes (Go pads sizes to 5). */
function leb(n: number, width = 0): number[] {
  const out: number[] = [];
  let v = n;
  do {
    out.push(v % 128);
    v = Math.floor(v / 128);
  } while (v > 0);
  while (out.length < width) out.push(0);
  return out.map((b, i) => (i < out.length - 1 ? b | 0x80 : b));
}

/** The WasmInspectError code `fn` throws; any other error fails the test. */
const codeOfRead = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    if (err instanceof WasmInspectError) return err.code;
    throw err;
  }
  return undefined;
};

describe('ByteReader.u32', () => {
  it('reads back every 32-bit number, minimal or padded up to 5 bytes, and consumes exactly its bytes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 5 }), fc.uint8Array({ maxLength: 4 }), (n, width, tail) => {
      const bytes = leb(n, width);
      const r = new ByteReader(new Uint8Array([...bytes, ...tail]));
      expect(r.u32('n')).toBe(n);
      expect(r.pos).toBe(bytes.length);
    }), runs);
  });

  it('on any bytes yields a number below 2^32 from at most 5 bytes, or WASM_TRUNCATED / WASM_LEB128_OVERFLOW', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
      const r = new ByteReader(bytes);
      let value: number | undefined;
      const code = codeOfRead(() => {
        value = r.u32('n');
      });
      if (code === undefined) {
        expect(value).toBeLessThan(2 ** 32);
        expect(r.pos).toBeLessThanOrEqual(5);
        expect(bytes[r.pos - 1]! & 0x80).toBe(0);
      } else {
        expect(['WASM_TRUNCATED', 'WASM_LEB128_OVERFLOW']).toContain(code);
      }
    }), runs);
  });

  it('refuses an encoding cut anywhere with WASM_TRUNCATED', () => {
    fc.assert(fc.property(fc.integer({ min: 128, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 5 }), (n, width) => {
      const bytes = leb(n, width);
      const cut = new Uint8Array(bytes.slice(0, bytes.length - 1));
      expect(codeOfRead(() => new ByteReader(cut).u32('n'))).toBe('WASM_TRUNCATED');
    }), runs);
  });

  it('refuses overlong encodings (a sixth byte, or bits past 32) with WASM_LEB128_OVERFLOW', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
      expect(codeOfRead(() => new ByteReader(new Uint8Array(leb(n, 6))).u32('n'))).toBe('WASM_LEB128_OVERFLOW');
    }), runs);
    expect(codeOfRead(() => new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x1f])).u32('n'))).toBe('WASM_LEB128_OVERFLOW');
    expect(new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])).u32('n')).toBe(2 ** 32 - 1);
  });
});

describe('ByteReader.skipLeb / take / readSection', () => {
  it('skipLeb stops within maxBytes or throws a coded error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), fc.integer({ min: 1, max: 10 }), (bytes, max) => {
      const r = new ByteReader(bytes);
      const code = codeOfRead(() => r.skipLeb('n', max));
      if (code === undefined) expect(r.pos).toBeLessThanOrEqual(max);
      else expect(['WASM_TRUNCATED', 'WASM_LEB128_OVERFLOW']).toContain(code);
    }), runs);
  });

  it('take never runs past the end: a longer length is WASM_SECTION_PAST_END and moves nothing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 32 }), fc.nat({ max: 64 }), (bytes, len) => {
      const r = new ByteReader(bytes);
      const code = codeOfRead(() => r.take(len, 'x'));
      if (len <= bytes.length) {
        expect(code).toBeUndefined();
        expect(r.pos).toBe(len);
      } else {
        expect(code).toBe('WASM_SECTION_PAST_END');
        expect(r.pos).toBe(0);
      }
    }), runs);
  });

  it('readSection gives a body of exactly the declared size inside the input, or a coded error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const r = new ByteReader(bytes, 8);
      let section: { id: number; body: ByteReader } | undefined;
      const code = codeOfRead(() => {
        section = readSection(r);
      });
      if (code === undefined) {
        expect(section!.id).toBe(bytes[0]);
        expect(section!.body.base + section!.body.bytes.length).toBe(8 + r.pos);
        expect(r.pos).toBeLessThanOrEqual(bytes.length);
      } else {
        expect(['WASM_TRUNCATED', 'WASM_LEB128_OVERFLOW', 'WASM_SECTION_PAST_END']).toContain(code);
      }
    }), runs);
  });

  it('throws WasmgateErrors whose message names what was being read', () => {
    expect(() => new ByteReader(new Uint8Array([0x80])).u32('import count')).toThrow(/import count/);
    expect(WasmgateError.isWasmgateError(new WasmInspectError('WASM_TRUNCATED', 'x'))).toBe(true);
  });
});
