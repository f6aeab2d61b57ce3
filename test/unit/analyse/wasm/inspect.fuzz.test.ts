import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { V8 } from '../../../support/wasm/v8.ts';
import { inspectWasm, WasmInspectError } from '../../../../src/analyse/wasm/index.ts';
import { WasmgateError } from '../../../../src/common/error.ts';
import { encodeCoreModule, producersPayload } from '../../../support/wasm/encode.ts';
import { readComponentFixture, withDepV0 } from '../../../support/wasm/fixtures.ts';

const SEED = 0x9a5e;

const coreBase = withDepV0(
  encodeCoreModule({
    imports: [{ module: 'wasi_snapshot_preview1', name: 'fd_write' }, { module: 'env', name: 'f' }],
    exports: ['_start', 'run'],
    memoryExport: 'memory',
    customSections: [{ name: 'producers', payload: producersPayload({ language: [['Rust', '']], 'processed-by': [['rustc', '1.78.0']] }) }],
  }),
  [{ name: 'ring', version: '0.17.7', source: 'crates.io' }],
);
const bases = [readComponentFixture(), coreBase];

type Mutation =
  | { op: 'flip'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; len: number }
  | { op: 'leb'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
  // an overlong LEB128 (continuation bits everywhere) dropped at a random place
  fc.record({ op: fc.constant('leb' as const), at: fc.nat() }),
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
  switch (m.op) {
    case 'flip': {
      const out = bytes.slice();
      if (out.length > 0) out[at % out.length] = m.value;
      return out;
    }
    case 'truncate':
      return bytes.subarray(0, at);
    case 'insert':
      return new Uint8Array([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    case 'delete':
      return new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + m.len)]);
    case 'leb':
      return new Uint8Array([...bytes.subarray(0, at), 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, ...bytes.subarray(at)]);
  }
}

/** The parser's contract: facts, or a WasmInspectError — never another exception. */
function inspectOrCode(bytes: Uint8Array): string {
  try {
    const facts = inspectWasm(bytes, { maxDepV0Bytes: 64 * 1024 });
    expect(['module', 'component']).toContain(facts.kind);
    return 'ok';
  } catch (err) {
    if (!(err instanceof WasmInspectError)) throw err;
    expect(WasmgateError.isWasmgateError(err)).toBe(true);
    expect(err.code).toMatch(/^WASM_[A-Z0-9_]+$/);
    return err.code;
  }
}

describe('inspectWasm (fuzz)', () => {
  it('returns facts or throws WasmInspectError for mutated valid modules', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bases.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, muts) => {
        const bytes = muts.reduce(apply, bases[which] as Uint8Array);
        seen.add(inspectOrCode(bytes));
      }),
      { seed: SEED, numRuns: 3000 },
    );
    // the mutations reach both success and several distinct failure codes
    expect(seen.has('ok')).toBe(true);
    expect(seen.size).toBeGreaterThan(4);
  });

  it('returns facts or throws WasmInspectError for arbitrary bytes after a valid preamble', () => {
    const preambles = [[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]];
    fc.assert(
      fc.property(fc.constantFrom(...preambles), fc.uint8Array({ maxLength: 256 }), (pre, tail) => {
        inspectOrCode(new Uint8Array([...pre, ...tail]));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  it('round-trips generated core modules and agrees with V8 on imports and exports', async () => {
    const ident = fc.string({ minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ module: ident, name: ident }), { maxLength: 6, selector: (i) => `${i.module}#${i.name}` }),
        fc.uniqueArray(ident, { maxLength: 6 }),
        async (imports, exports) => {
          const bytes = encodeCoreModule({ imports, exports });
          const v8 = await V8.compile(bytes);
          const facts = inspectWasm(bytes);
          expect(facts.imports).toEqual(V8.Module.imports(v8).map((i) => `${i.module}#${i.name}`));
          expect(facts.exports).toEqual(V8.Module.exports(v8).map((e) => e.name));
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });
});
