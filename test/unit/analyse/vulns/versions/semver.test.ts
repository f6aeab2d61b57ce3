import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { compareSemver, parseSemver, type SemVer } from '../../../../../src/analyse/vulns/index.ts';

const SEED = 20261125;

function v(text: string): SemVer {
  const parsed = parseSemver(text);
  if (parsed === null) throw new Error(`test version ${text} does not parse`);
  return parsed;
}

function cmp(a: string, b: string): number {
  return Math.sign(compareSemver(v(a), v(b)));
}

const identifier = fc.oneof(fc.nat({ max: 12 }).map(String), fc.constantFrom('alpha', 'beta', 'rc', 'x-y', '0a', 'A', 'pre'));
export const semverText = fc
  .record({
    major: fc.nat({ max: 4 }),
    minor: fc.nat({ max: 4 }),
    patch: fc.nat({ max: 4 }),
    pre: fc.array(identifier, { maxLength: 3 }),
    build: fc.option(fc.constantFrom('wasi-0.2.4', 'wasi-0.3.0-rc-2026-03-15', '1.3.0', 'incompatible'), { nil: undefined }),
  })
  .map(({ major, minor, patch, pre, build }) => `${major}.${minor}.${patch}${pre.length > 0 ? `-${pre.join('.')}` : ''}${build !== undefined ? `+${build}` : ''}`);

describe('parseSemver', () => {
  it('accepts Cargo versions with build metadata and keeps a -rc inside it out of the pre-release', () => {
    expect(v('0.14.7+wasi-0.2.4')).toEqual({ major: 0, minor: 14, patch: 7, pre: [] });
    expect(v('0.6.0+wasi-0.3.0-rc-2026-03-15').pre).toEqual([]);
  });
  it('accepts Go versions: v prefix, +incompatible, pseudo-versions', () => {
    expect(v('v2.0.0+incompatible')).toEqual({ major: 2, minor: 0, patch: 0, pre: [] });
    expect(v('v0.0.0-20191109021931-daa7c04131f5').pre).toEqual(['20191109021931-daa7c04131f5']);
    expect(v('v1.2.4-0.20191109021931-daa7c04131f5').pre).toEqual([0, '20191109021931-daa7c04131f5']);
  });
  it('returns null for text that is not a version', () => {
    for (const bad of ['', 'abc', '1.2.3-', '1..2', '1.2.3-a..b', 'latest']) expect(parseSemver(bad)).toBeNull();
  });
});

describe('compareSemver', () => {
  it('orders pre-releases below their release, as SemVer §11 lists', () => {
    const list = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 1; i < list.length; i++) expect(cmp(list[i - 1] as string, list[i] as string)).toBe(-1);
  });
  it('puts 0.2.1-0 (the RustSec pre-release bound) below 0.2.1 and above 0.2.0', () => {
    expect(cmp('0.2.1-0', '0.2.1')).toBe(-1);
    expect(cmp('0.2.0', '0.2.1-0')).toBe(-1);
    expect(cmp('0.2.1-0', '0.2.1-alpha')).toBe(-1);
  });
  it('orders Go pseudo-versions before the release they precede', () => {
    expect(cmp('v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.4')).toBe(-1);
    expect(cmp('v1.2.3', 'v1.2.4-0.20191109021931-daa7c04131f5')).toBe(-1);
    expect(cmp('v2.0.0+incompatible', 'v2.0.0')).toBe(0);
  });

  describe('properties (fixed seed)', () => {
    it('is reflexive and antisymmetric', () => {
      fc.assert(
        fc.property(semverText, semverText, (a, b) => {
          expect(cmp(a, a)).toBe(0);
          expect(cmp(a, b)).toBe(-cmp(b, a));
        }),
        { seed: SEED, numRuns: 400 },
      );
    });
    it('is transitive', () => {
      fc.assert(
        fc.property(semverText, semverText, semverText, (a, b, c) => {
          if (cmp(a, b) <= 0 && cmp(b, c) <= 0) expect(cmp(a, c)).toBeLessThanOrEqual(0);
        }),
        { seed: SEED, numRuns: 400 },
      );
    });
    it('ignores build metadata', () => {
      fc.assert(
        fc.property(semverText, (a) => {
          expect(cmp(a, `${a.split('+')[0] as string}`)).toBe(0);
        }),
        { seed: SEED, numRuns: 200 },
      );
    });
    it('agrees with the npm semver package on every pair', () => {
      fc.assert(
        fc.property(semverText, semverText, (a, b) => {
          expect(cmp(a, b)).toBe(semver.compare(a, b));
        }),
        { seed: SEED, numRuns: 600 },
      );
    });
  });
});
