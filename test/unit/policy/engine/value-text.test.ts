import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareStrings } from '../../../../src/policy/engine/compare.ts';
import { parseValueText } from '../../../../src/policy/engine/value-text.ts';

describe('parseValueText', () => {
  describe('when the guest writes plain JSON values', () => {
    it('returns them unchanged', () => {
      fc.assert(
        fc.property(fc.jsonValue({ noUnicodeString: false }), (v) => {
          const text = JSON.stringify(v);
          // object keys come back sorted, so compare against a key-sorted copy
          expect(parseValueText(text)).toEqual(JSON.parse(text));
        }),
        { seed: 20260125, numRuns: 150 },
      );
    });
  });

  describe('when the guest writes sets', () => {
    it('turns `set()` into an empty array', () => {
      expect(parseValueText('{{"result": set()}}')).toEqual([{ result: [] }]);
    });
    it('sorts set elements in OPA order (type rank, then value)', () => {
      expect(parseValueText('{"b", 2, null, [1], {"k": 1}, true, "a", {3}}')).toEqual([null, true, 2, 'a', 'b', [1], { k: 1 }, [3]]);
    });
    it('tells a one-element set from an object', () => {
      expect(parseValueText('{"x"}')).toEqual(['x']);
      expect(parseValueText('{"x": 1}')).toEqual({ x: 1 });
    });
    it('decodes escapes inside strings', () => {
      expect(parseValueText('{"a\\"b", "c\\\\", "\\u00e9"}')).toEqual(['a"b', 'c\\', 'é']);
    });
    it('JSON-encodes non-string object keys and sorts keys', () => {
      expect(Object.entries(parseValueText('{"b": 1, 2: "two", "a": 0}') as object)).toEqual([['2', 'two'], ['a', 0], ['b', 1]]);
    });
  });

  describe('when the text is malformed', () => {
    it('throws a SyntaxError', () => {
      for (const bad of ['{', '{"a": }', '[1,', '"open', 'nope', '{1 2}', '[1] x']) {
        expect(() => parseValueText(bad), bad).toThrow(SyntaxError);
      }
    });
  });
});

describe('compareStrings', () => {
  it('orders like a byte-wise UTF-8 comparison (Go, OPA)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareStrings(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { seed: 20260125, numRuns: 1000 },
    );
  });
  it('puts U+FFFF before an astral character (unlike UTF-16 order)', () => {
    expect(compareStrings('\uffff', '😀')).toBeLessThan(0);
    expect('\uffff' < '😀').toBe(false);
  });
});
