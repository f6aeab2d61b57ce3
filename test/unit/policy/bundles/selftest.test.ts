import { describe, expect, it } from 'vitest';
import { assertSelfTests, parseSelfTests, runSelfTests, subsetDiff } from '../../../../src/policy/bundles/selftest.ts';
import type { EvaluationResult, LoadedBundle } from '../../../../src/policy/engine/types.ts';

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

/** A LoadedBundle answering `allow` = input.n > 0 at path p/allow, the object at p. */
const fake: LoadedBundle = {
  name: 'fake', revision: 'r', manifest: { revision: 'r', roots: [''], wasm: [] }, entrypoints: ['p'], builtins: [], data: {}, digest: 'sha256:0',
  evaluate(path: string, input: unknown): EvaluationResult {
    const n = (input as { n?: number } | undefined)?.n ?? 0;
    if (path === 'p') return { defined: true, result: { allow: n > 0, deny: n > 0 ? [] : ['no'] } };
    if (path === 'p/allow') return { defined: true, result: n > 0 };
    if (path === 'boom') throw new Error('guest trap');
    return { defined: false };
  },
};

describe('parseSelfTests', () => {
  it('reads {cases: […]}, an array or a single case from tests/*.json only', () => {
    const cases = parseSelfTests(new Map([
      ['tests/a.json', enc({ cases: [{ path: 'p', input: { n: 1 }, expect: { allow: true } }] })],
      ['tests/b.json', enc([{ name: 'named', path: 'p/allow', input: {}, expect: false }])],
      ['tests/c.json', enc({ path: 'q', undefined: true })],
      ['other/d.json', enc('not json')],
    ]));
    expect(cases.map((c) => c.name)).toEqual(['tests/a.json#0', 'named', 'tests/c.json#0']);
  });

  it('throws BUNDLE_SELFTEST_INVALID naming the file for bad JSON or a case without path or expectation', () => {
    expect(() => parseSelfTests(new Map([['tests/x.json', enc('{')]]))).toThrow(expect.objectContaining({ code: 'BUNDLE_SELFTEST_INVALID', message: expect.stringContaining('/tests/x.json') }));
    expect(() => parseSelfTests(new Map([['tests/x.json', enc({ input: {} , expect: 1 })]]))).toThrow(/needs a "path"/);
    expect(() => parseSelfTests(new Map([['tests/x.json', enc({ path: 'p' })]]))).toThrow(/exactly one of/);
  });
});

describe('runSelfTests', () => {
  it('passes matching subsets and reports each failure', () => {
    const cases = parseSelfTests(new Map([['tests/a.json', enc([
      { name: 'ok', path: 'p', input: { n: 1 }, expect: { allow: true } },
      { name: 'wrong', path: 'p', input: { n: -1 }, expect: { allow: true } },
      { name: 'undef', path: 'q', input: {}, undefined: true },
      { name: 'not-undef', path: 'p/allow', input: {}, undefined: true },
      { name: 'trap', path: 'boom', input: {}, expect: 1 },
    ])]]));
    const r = runSelfTests(fake, cases);
    expect(r).toMatchObject({ total: 5, passed: 2 });
    expect(r.failures.map((f) => f.name)).toEqual(['wrong', 'not-undef', 'trap']);
    expect(r.failures[0]?.message).toBe('p/allow is false, expected true');
    expect(() => assertSelfTests(r, 'b')).toThrow(expect.objectContaining({ code: 'BUNDLE_SELFTEST_FAILED' }));
  });
});

describe('subsetDiff', () => {
  it('compares objects as subsets and arrays exactly', () => {
    expect(subsetDiff({ a: { b: 1 } }, { a: { b: 1, c: 2 }, d: 3 }, 'x')).toBeUndefined();
    expect(subsetDiff({ a: [1] }, { a: [1, 2] }, 'x')).toBe('x/a is [1,2], expected [1]');
    expect(subsetDiff({ a: 1 }, {}, 'x')).toBe('x/a is missing, expected 1');
  });
});
