import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { parse as parseLossless } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { canonicalJson, digestInput, fileDigest, isStructuredFile } from '../../../../src/policy/bundles/canonical.ts';

const text = (name: string, s: string): string => new TextDecoder().decode(digestInput(name, new TextEncoder().encode(s)));

describe('canonicalJson', () => {
  it('sorts object keys byte-wise and drops whitespace', () => {
    expect(text('data.json', '{ "b": 1, "a": {"d": [1, 2], "c": true}, "B": null }')).toBe('{"B":null,"a":{"c":true,"d":[1,2]},"b":1}');
  });

  it('keeps number literals as written (lossless)', () => {
    expect(text('data.json', '{"x": 1.0, "y": 1e3, "z": 12345678901234567890, "w": 1.50}')).toBe('{"w":1.50,"x":1.0,"y":1e3,"z":12345678901234567890}');
  });

  it('writes strings as Go does with HTML escaping off (U+2028/2029 escaped, <>& kept)', () => {
    expect(text('.manifest', '{"s": "<a>&\\u2028\\u2029é\\n\\t"}')).toBe('{"s":"<a>&\\u2028\\u2029é\\n\\t"}');
  });

  it('orders astral-plane keys by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8; JS's default sort says the opposite
    expect(canonicalJson({ '\u{1F600}': 1, '\uFF61': 2 })).toBe('{"\uFF61":2,"\u{1F600}":1}');
  });

  it('hashes YAML data as the JSON of its values', () => {
    expect(text('x/data.yaml', 'b: [1, two]\na: {c: null}\n')).toBe('{"a":{"c":null},"b":[1,"two"]}');
  });

  it('is stable: canonical text re-parsed gives the same canonical text (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const once = canonicalJson(parseLossless(JSON.stringify(v)));
      expect(canonicalJson(parseLossless(once))).toBe(once);
      expect(JSON.parse(once)).toEqual(JSON.parse(JSON.stringify(v)));
    }), { seed: 7, numRuns: 300 });
  });
});

describe('fileDigest', () => {
  it('hashes unstructured files raw', () => {
    const bytes = new TextEncoder().encode('package x\n');
    expect(fileDigest('x/policy.rego', bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(isStructuredFile('x/policy.rego')).toBe(false);
    expect(isStructuredFile('a/b/data.json')).toBe(true);
  });

  it('throws BUNDLE_SIGNATURE_INVALID for an unknown algorithm', () => {
    expect(() => fileDigest('a', new Uint8Array(), 'SHA-3')).toThrow(expect.objectContaining({ code: 'BUNDLE_SIGNATURE_INVALID' }));
  });

  it('supports OPA\'s algorithm names', () => {
    expect(fileDigest('a', new Uint8Array(), 'SHA-512-256')).toHaveLength(64);
    expect(fileDigest('a', new Uint8Array(), 'MD5')).toHaveLength(32);
  });
});
