import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectWasm, WasmInspectError } from '../../../../src/analyse/wasm/index.ts';
import { componentWith, encodeSection, uleb } from '../../../support/wasm/encode.ts';
import { expectThrowsCode } from '../../../support/wasm/expect-code.ts';

// Component import/export names per Binary.md (`importname'`/`exportname'`, now `nameattributes`):
//   0x00 name | 0x01 name | 0x02 name vec(attribute), attribute = 0x00 implements | 0x01 versionsuffix | 0x02 external-id

function str(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...uleb(b.length), ...b];
}

interface Name {
  tag: 0 | 1 | 2;
  name: string;
  implements?: string;
  versionsuffix?: string;
  externalId?: string;
}

function encodeName(n: Name): number[] {
  const out = [n.tag, ...str(n.name)];
  if (n.tag !== 2) return out;
  const attrs: number[][] = [];
  if (n.implements !== undefined) attrs.push([0x00, ...str(n.implements)]);
  if (n.versionsuffix !== undefined) attrs.push([0x01, ...str(n.versionsuffix)]);
  if (n.externalId !== undefined) attrs.push([0x02, ...str(n.externalId)]);
  return [...out, ...uleb(attrs.length), ...attrs.flat()];
}

function rendered(n: Name): string {
  if (n.tag !== 2) return n.name;
  const full = `${n.name}${n.versionsuffix ?? ''}`;
  return n.implements === undefined ? full : `${full} (implements ${n.implements})`;
}

/** A component importing each name as a type with an `eq` bound on type 0 and exporting it as type 0. */
function component(imports: Name[], exports: Name[]): Uint8Array {
  const imp = imports.map((n) => [...encodeName(n), 0x03, 0x01]); // type (sub resource)
  const exp = exports.map((n) => [...encodeName(n), 0x03, 0x00, 0x00]); // sort type, index 0, no ascription
  const sections: number[][] = [];
  if (imp.length > 0) sections.push(encodeSection(10, [...uleb(imp.length), ...imp.flat()]));
  if (exp.length > 0) sections.push(encodeSection(11, [...uleb(exp.length), ...exp.flat()]));
  return componentWith(sections);
}

const nameArb: fc.Arbitrary<Name> = fc.record(
  {
    tag: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
    name: fc.string({ unit: 'grapheme', maxLength: 24 }),
    implements: fc.string({ maxLength: 12 }),
    versionsuffix: fc.string({ maxLength: 8 }),
    externalId: fc.string({ maxLength: 8 }),
  },
  { requiredKeys: ['tag', 'name'] },
);

describe('component import and export names', () => {
  it('reads every form: 0x00 and 0x01 plain names, 0x02 with any set of attributes (property)', () => {
    fc.assert(
      fc.property(fc.array(nameArb, { maxLength: 6 }), fc.array(nameArb, { maxLength: 6 }), (imports, exports) => {
        const facts = inspectWasm(component(imports, exports));
        expect(facts.imports).toEqual(imports.map(rendered));
        expect(facts.exports).toEqual(exports.map(rendered));
      }),
      { numRuns: 300 },
    );
  });

  it('reads 0x01 as a plain name, not as a name followed by a version suffix', () => {
    // the bytes of wit-component ≤ 2024-09: 0x01 "wasi:cli/stdout@0.2.0", then the extern descriptor
    const facts = inspectWasm(component([{ tag: 1, name: 'wasi:cli/stdout@0.2.0' }], [{ tag: 1, name: 'run' }]));
    expect(facts.imports).toEqual(['wasi:cli/stdout@0.2.0']);
    expect(facts.exports).toEqual(['run']);
  });

  it('refuses an unknown name tag or attribute, and a repeated attribute, as malformed', () => {
    const withTag3 = componentWith([encodeSection(10, [1, 0x03, ...str('x'), 0x03, 0x01])]);
    expectThrowsCode(() => inspectWasm(withTag3), WasmInspectError, 'WASM_MALFORMED');
    const withAttr3 = componentWith([encodeSection(10, [1, 0x02, ...str('x'), 1, 0x03, ...str('y'), 0x03, 0x01])]);
    expectThrowsCode(() => inspectWasm(withAttr3), WasmInspectError, 'WASM_MALFORMED');
    const twoSuffixes = componentWith([encodeSection(10, [1, 0x02, ...str('a:b/c@1'), 2, 0x01, ...str('.2'), 0x01, ...str('.3'), 0x03, 0x01])]);
    expectThrowsCode(() => inspectWasm(twoSuffixes), WasmInspectError, 'WASM_MALFORMED');
  });
});
