import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePep440, parsePep440, type Pep440 } from '../../../../../src/analyse/vulns/index.ts';

const SEED = 20261125;

function p(text: string): Pep440 {
  const parsed = parsePep440(text);
  if (parsed === null) throw new Error(`test version ${text} does not parse`);
  return parsed;
}

function cmp(a: string, b: string): number {
  return Math.sign(comparePep440(p(a), p(b)));
}

// The ordering example of the PEP 440 specification / packaging documentation.
const SPEC_ORDER = [
  '1.0.dev456', '1.0a1', '1.0a2.dev456', '1.0a12.dev456', '1.0a12', '1.0b1.dev456', '1.0b2', '1.0b2.post345.dev456',
  '1.0b2.post345', '1.0rc1.dev456', '1.0rc1', '1.0', '1.0+abc.5', '1.0+abc.7', '1.0+5', '1.0.post456.dev34',
  '1.0.post456', '1.0.15', '1.1.dev1',
];

const pepText = fc
  .record({
    epoch: fc.option(fc.nat({ max: 2 }), { nil: undefined, freq: 5 }),
    release: fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 4 }),
    pre: fc.option(fc.tuple(fc.constantFrom('a', 'b', 'rc', 'alpha', 'c'), fc.nat({ max: 3 })), { nil: undefined }),
    post: fc.option(fc.nat({ max: 3 }), { nil: undefined }),
    dev: fc.option(fc.nat({ max: 3 }), { nil: undefined }),
    local: fc.option(fc.array(fc.oneof(fc.nat({ max: 9 }).map(String), fc.constantFrom('abc', 'ubuntu', 'x')), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  })
  .map(
    (r) =>
      `${r.epoch !== undefined ? `${r.epoch}!` : ''}${r.release.join('.')}${r.pre !== undefined ? `${r.pre[0]}${r.pre[1]}` : ''}` +
      `${r.post !== undefined ? `.post${r.post}` : ''}${r.dev !== undefined ? `.dev${r.dev}` : ''}${r.local !== undefined ? `+${r.local.join('.')}` : ''}`,
  );

describe('parsePep440', () => {
  it('normalises alternative spellings to the same version', () => {
    const same: Array<[string, string]> = [
      ['1.0-alpha1', '1.0a1'], ['1.0.0', '1'], ['1.0-1', '1.0.post1'], ['v1.0', '1.0'], ['1.0RC1', '1.0rc1'],
      ['1.0c1', '1.0rc1'], ['1.0-preview.2', '1.0rc2'], ['1.0.rev3', '1.0.post3'], ['1.0a', '1.0a0'], ['1.0-dev', '1.0.dev0'],
      ['0!1.0', '1.0'], ['1.0+ubuntu-1', '1.0+ubuntu.1'],
    ];
    for (const [a, b] of same) expect(cmp(a, b), `${a} == ${b}`).toBe(0);
  });
  it('returns null for text that is not a PEP 440 version', () => {
    for (const bad of ['', 'abc', '1.0-', '1.0+', '1.0++a', 'french toast']) expect(parsePep440(bad)).toBeNull();
  });
});

describe('comparePep440', () => {
  it('orders the specification example strictly ascending', () => {
    for (let i = 0; i < SPEC_ORDER.length; i++) {
      for (let j = 0; j < SPEC_ORDER.length; j++) {
        expect(cmp(SPEC_ORDER[i] as string, SPEC_ORDER[j] as string), `${SPEC_ORDER[i]} vs ${SPEC_ORDER[j]}`).toBe(Math.sign(i - j));
      }
    }
  });
  it('orders epochs first', () => {
    expect(cmp('1!0.1', '2.0')).toBe(1);
  });

  describe('properties (fixed seed)', () => {
    it('is reflexive and antisymmetric', () => {
      fc.assert(
        fc.property(pepText, pepText, (a, b) => {
          expect(cmp(a, a)).toBe(0);
          expect(cmp(a, b)).toBe(-cmp(b, a));
        }),
        { seed: SEED, numRuns: 400 },
      );
    });
    it('is transitive', () => {
      fc.assert(
        fc.property(pepText, pepText, pepText, (a, b, c) => {
          if (cmp(a, b) <= 0 && cmp(b, c) <= 0) expect(cmp(a, c)).toBeLessThanOrEqual(0);
        }),
        { seed: SEED, numRuns: 400 },
      );
    });
    it('treats trailing zeros in the release as insignificant', () => {
      fc.assert(
        fc.property(pepText, (a) => {
          const plus = a.replace(/^((?:\d+!)?\d+(?:\.\d+)*)/, '$1.0');
          expect(cmp(a, plus)).toBe(0);
        }),
        { seed: SEED, numRuns: 200 },
      );
    });
  });
});
