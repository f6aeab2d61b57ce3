import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareMaven, parseMaven, schemeForEcosystem, type MavenVersion } from '../../../../../src/analyse/vulns/index.ts';

const SEED = 20261125;

function m(text: string): MavenVersion {
  const parsed = parseMaven(text);
  if (parsed === null) throw new Error(`test version ${text} does not parse`);
  return parsed;
}

function cmp(a: string, b: string): number {
  return Math.sign(compareMaven(m(a), m(b)));
}

function expectAscending(order: readonly string[]): void {
  for (let i = 0; i < order.length; i++) {
    for (let j = 0; j < order.length; j++) {
      expect(cmp(order[i] as string, order[j] as string), `${order[i]} vs ${order[j]}`).toBe(Math.sign(i - j));
    }
  }
}

// Versions shaped as Maven versions are: numbers joined by dots, then `-`/`.`-separated qualifier segments
// (known and unknown qualifiers, short a/b/m forms glued to a number, numbers with leading zeros, case
// variants); and arbitrary token soups, since Maven orders any string (Maven's own ComparableVersion is not
// transitive on those, MNG-5568: `1.a` < `1.0.snapshot` < `1` < `1.a`; wasmgate's must be).
const release = fc.array(fc.oneof(fc.nat({ max: 12 }).map(String), fc.constantFrom('0', '00', '010')), { minLength: 1, maxLength: 4 }).map((p) => p.join('.'));
const qualifier = fc.tuple(
  fc.constantFrom('-', '.', ''),
  fc.constantFrom('alpha', 'a', 'beta', 'b', 'M', 'milestone', 'rc', 'CR', 'SNAPSHOT', 'ga', 'final', 'release', 'sp', 'foo', 'K'),
  fc.option(fc.tuple(fc.constantFrom('', '-', '.'), fc.nat({ max: 12 })), { nil: undefined }),
);
const shaped = fc
  .tuple(release, fc.array(fc.oneof(qualifier, fc.tuple(fc.constant('-'), fc.nat({ max: 3 }).map(String), fc.constant(undefined))), { maxLength: 3 }))
  .map(([rel, quals]) => rel + quals.map(([sep, q, n]) => `${sep}${q}${n === undefined ? '' : `${n[0]}${n[1]}`}`).join(''));
const soup = fc
  .array(fc.tuple(fc.constantFrom('.', '-', ''), fc.oneof(fc.nat({ max: 12 }).map(String), fc.constantFrom('0', '00', 'alpha', 'a', 'b', 'm', 'rc', 'cr', 'SNAPSHOT', 'ga', 'final', 'sp', 'foo', 'K', ''))), { minLength: 1, maxLength: 7 })
  .map((parts) => parts.map(([sep, tok], i) => (i === 0 ? tok : sep + tok)).join(''))
  .filter((v) => v.trim() !== '');
const mavenText = fc.oneof(shaped, soup);

describe('parseMaven', () => {
  it('accepts any non-empty text (Maven orders every string) and rejects only the empty one', () => {
    for (const v of ['1', '1.0-SNAPSHOT', 'NotAVersionString', '1.α', '2.0.0.Final']) expect(parseMaven(v)).not.toBeNull();
    expect(parseMaven('')).toBeNull();
    expect(parseMaven('  ')).toBeNull();
  });
});

describe('compareMaven', () => {
  describe("when given the POM reference's Version Order Specification examples", () => {
    it('pads numbers and qualifiers with nulls', () => {
      expect(cmp('1', '1.1')).toBe(-1);
      expectAscending(['1-snapshot', '1', '1-sp']);
    });
    it('switches to numeric order inside qualifiers', () => {
      expect(cmp('1-foo2', '1-foo10')).toBe(-1);
    });
    it('orders "1.foo" = "1-foo" < "1-1" < "1.1"', () => {
      expect(cmp('1.foo', '1-foo')).toBe(0);
      expectAscending(['1-foo', '1-1', '1.1']);
    });
    it('trims trailing null values: "1.ga" = "1-ga" = "1-0" = "1.0" = "1"', () => {
      for (const v of ['1.ga', '1-ga', '1-0', '1.0', '1', '1.0.0', '1.final', '1.', '1-', '1.0.0-0.0.0']) expect(cmp(v, '1'), v).toBe(0);
      expect(cmp('1.0.0-foo.0.0', '1-foo')).toBe(0);
    });
    it('puts sp after the release, and trims nulls at each hyphen: "1-sp-1" < "1-ga-1" = "1-1"', () => {
      expect(cmp('1-sp', '1-ga')).toBe(1);
      expect(cmp('1-sp.1', '1-ga.1')).toBe(1);
      expect(cmp('1-sp-1', '1-ga-1')).toBe(-1);
      expect(cmp('1-ga-1', '1-1')).toBe(0);
    });
    it('reads a, b, m followed by a digit as alpha, beta, milestone, and ignores case', () => {
      expect(cmp('1-a1', '1-alpha-1')).toBe(0);
      expect(cmp('1b2', '1-beta-2')).toBe(0);
      expect(cmp('1m3', '1-milestone-3')).toBe(0);
      expect(cmp('1.0-alpha1', '1.0-ALPHA1')).toBe(0);
    });
    it('orders numbers above qualifiers and unknown qualifiers alphabetically', () => {
      expect(cmp('1.7', '1.K')).toBe(1);
      expect(cmp('5.zebra', '5.aardvark')).toBe(1);
      expect(cmp('1.α', '1.b')).toBe(1);
    });
  });

  describe('when given the qualifier ladder', () => {
    it('orders alpha < beta < milestone < rc = cr < snapshot < release = ga = final < sp < other qualifiers', () => {
      expectAscending(['1-alpha', '1-beta', '1-milestone', '1-rc', '1-snapshot', '1', '1-sp', '1-abc', '1-def']);
      expect(cmp('1-cr', '1-rc')).toBe(0);
      expect(cmp('1-final', '1-ga')).toBe(0);
      expect(cmp('1-release', '1')).toBe(0);
    });
    it('orders a realistic release history', () => {
      expectAscending([
        '1.0-alpha-1', '1.0-alpha-2', '1.0-beta-1', '1.0-M1', '1.0-M2', '1.0-RC1', '1.0-CR2', '1.0-SNAPSHOT', '1.0',
        '1.0-sp1', '1.0.1', '1.1-rc1', '1.1', '1.10', '2.0.0.RC1', '2.0.0', '2.0.0.1', '10.0',
      ]);
    });
    it('is transitive where Maven itself is not (MNG-5568)', () => {
      // Maven's ComparableVersion orders 0-1 < 0.snapshot.0 < 0 < 0-1.
      expectAscending(['0.snapshot.0', '0', '0-1']);
    });
    it('compares numbers of any length numerically, ignoring leading zeros', () => {
      expect(cmp('1.010', '1.10')).toBe(0);
      expect(cmp('1.9', '1.10')).toBe(-1);
      expect(cmp('1.99999999999999999999999', '1.100000000000000000000000')).toBe(-1);
    });
  });

  describe('properties (fixed seed)', () => {
    it('is reflexive and antisymmetric', () => {
      fc.assert(
        fc.property(mavenText, mavenText, (a, b) => {
          expect(cmp(a, a)).toBe(0);
          expect(cmp(a, b)).toBe(-cmp(b, a) || 0);
        }),
        { seed: SEED, numRuns: 3000 },
      );
    });
    it('is transitive (a total order)', () => {
      fc.assert(
        fc.property(mavenText, mavenText, mavenText, (a, b, c) => {
          if (cmp(a, b) <= 0 && cmp(b, c) <= 0) expect(cmp(a, c)).toBeLessThanOrEqual(0);
          if (cmp(a, b) === 0) expect(cmp(a, c)).toBe(cmp(b, c));
        }),
        { seed: SEED, numRuns: 3000 },
      );
    });
    it('sorts consistently: sorting a shuffled list gives the same order', () => {
      fc.assert(
        fc.property(fc.array(mavenText, { minLength: 2, maxLength: 12 }), (list) => {
          const sorted = [...list].sort((x, y) => compareMaven(m(x), m(y)));
          const again = [...sorted].reverse().sort((x, y) => compareMaven(m(x), m(y)));
          for (let i = 0; i < sorted.length; i++) expect(cmp(sorted[i] as string, again[i] as string)).toBe(0);
          for (let i = 1; i < sorted.length; i++) expect(cmp(sorted[i - 1] as string, sorted[i] as string)).toBeLessThanOrEqual(0);
        }),
        { seed: SEED, numRuns: 1000 },
      );
    });
  });
});

describe("schemeForEcosystem('Maven')", () => {
  it('is the Maven scheme', () => {
    const scheme = schemeForEcosystem('Maven');
    expect(scheme?.name).toBe('maven');
    expect(Math.sign(scheme?.compare(scheme.parse('1.0-SNAPSHOT'), scheme.parse('1.0')) ?? 0)).toBe(-1);
  });
});
