import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSemver, entryAffects, parseSemver, type OsvEvent, type OsvRecord } from '../../../../src/analyse/vulns/index.ts';
import { prepareRecord } from '../../../../src/analyse/vulns/prepare.ts';

const SEED = 20261125;

function record(events: OsvEvent[], extra: { versions?: string[]; type?: string; ecosystem?: string } = {}): OsvRecord {
  return {
    id: 'TEST-0001',
    modified: '2026-01-01T00:00:00Z',
    affected: [
      {
        package: { ecosystem: extra.ecosystem ?? 'crates.io', name: 'demo' },
        ranges: [{ type: extra.type ?? 'SEMVER', events }],
        versions: extra.versions ?? [],
      },
    ],
  };
}

function affects(events: OsvEvent[], version: string, extra: Parameters<typeof record>[1] = {}): boolean {
  const [prepared] = prepareRecord(record(events, extra));
  if (prepared === undefined) throw new Error('no affected entry');
  return entryAffects(prepared.entry, version, new Map());
}

function lt(a: string, b: string): boolean {
  return compareSemver(parseSemver(a) ?? fail(a), parseSemver(b) ?? fail(b)) < 0;
}

function fail(v: string): never {
  throw new Error(`bad version ${v}`);
}

const version = fc
  .record({ major: fc.nat({ max: 3 }), minor: fc.nat({ max: 3 }), patch: fc.nat({ max: 3 }), pre: fc.option(fc.constantFrom('0', 'alpha', 'rc.1'), { nil: undefined }) })
  .map((r) => `${r.major}.${r.minor}.${r.patch}${r.pre !== undefined ? `-${r.pre}` : ''}`);

describe('entryAffects (OSV range evaluation)', () => {
  describe('when a range has introduced and fixed', () => {
    it('includes introduced and excludes fixed', () => {
      const ev = [{ introduced: '1.0.0' }, { fixed: '1.2.0' }];
      expect(affects(ev, '0.9.9')).toBe(false);
      expect(affects(ev, '1.0.0')).toBe(true);
      expect(affects(ev, '1.1.9')).toBe(true);
      expect(affects(ev, '1.2.0-rc.1')).toBe(true);
      expect(affects(ev, '1.2.0')).toBe(false);
      expect(affects(ev, '1.2.0+build.5')).toBe(false);
    });
    it('holds for every generated bound pair (property, fixed seed)', () => {
      fc.assert(
        fc.property(version, version, version, (a, b, v) => {
          fc.pre(lt(a, b));
          const expected = !lt(v, a) && lt(v, b);
          expect(affects([{ introduced: a }, { fixed: b }], v)).toBe(expected);
        }),
        { seed: SEED, numRuns: 500 },
      );
    });
  });

  describe('when a range has last_affected', () => {
    it('includes last_affected itself and nothing above', () => {
      fc.assert(
        fc.property(version, version, version, (a, b, v) => {
          fc.pre(!lt(b, a));
          const expected = !lt(v, a) && !lt(b, v);
          expect(affects([{ introduced: a }, { last_affected: b }], v)).toBe(expected);
        }),
        { seed: SEED, numRuns: 500 },
      );
    });
  });

  describe('when a range has a limit', () => {
    it('excludes versions at or above the limit', () => {
      fc.assert(
        fc.property(version, version, (limit, v) => {
          expect(affects([{ introduced: '0' }, { limit }], v)).toBe(lt(v, limit));
        }),
        { seed: SEED, numRuns: 300 },
      );
      expect(affects([{ introduced: '0' }, { limit: '*' }], '99.0.0')).toBe(true);
    });
  });

  describe('when introduced is "0"', () => {
    it('covers every version, including 0.0.0 pre-releases', () => {
      expect(affects([{ introduced: '0' }], '0.0.0-0')).toBe(true);
      expect(affects([{ introduced: '0' }, { fixed: '0.0.1' }], '0.0.0-alpha')).toBe(true);
    });
  });

  describe('when events are unsorted and interleaved (several introduced/fixed pairs)', () => {
    it('sorts them first, as OSV requires', () => {
      const ev = [{ fixed: '2.0.0' }, { introduced: '1.5.0' }, { fixed: '1.2.0' }, { introduced: '1.0.0' }];
      expect(affects(ev, '1.1.0')).toBe(true);
      expect(affects(ev, '1.3.0')).toBe(false);
      expect(affects(ev, '1.6.0')).toBe(true);
      expect(affects(ev, '2.0.0')).toBe(false);
    });
  });

  describe('when the record lists explicit versions', () => {
    it('matches those exactly, even without ranges', () => {
      expect(affects([], '1.0.0', { versions: ['1.0.0', '1.0.1'] })).toBe(true);
      expect(affects([], '1.0.2', { versions: ['1.0.0', '1.0.1'] })).toBe(false);
    });
  });

  describe('when the range type is GIT', () => {
    // A GIT range bounds commits; the component has a version. Only the record's explicit versions list matches.
    const gitRecord = (versions: string[]): OsvRecord => ({
      id: 'TEST-GIT',
      modified: '2026-01-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'crates.io', name: 'demo' },
          ranges: [
            {
              type: 'GIT',
              repo: 'https://github.com/example/demo',
              events: [{ introduced: '0' }, { fixed: '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432' }],
            },
          ],
          versions,
        },
      ],
    });
    const match = (versions: string[], version: string): boolean => {
      const [prepared] = prepareRecord(gitRecord(versions));
      if (prepared === undefined) throw new Error('no affected entry');
      return entryAffects(prepared.entry, version, new Map());
    };
    it('matches exactly the versions the record lists, and no other', () => {
      expect(match(['0.1.0', '0.1.1'], '0.1.1')).toBe(true);
      expect(match(['0.1.0', '0.1.1'], '0.1.2')).toBe(false);
      expect(match(['0.1.0', '0.1.1'], '0.0.1')).toBe(false); // introduced "0" does not reach versions
    });
    it('matches nothing without a versions list, is not counted as degraded, and reports no commit as a fix', () => {
      expect(match([], '0.0.1')).toBe(false);
      const [prepared] = prepareRecord(gitRecord([]));
      expect(prepared?.entry.ranges).toEqual([]);
      expect(prepared?.entry.degraded).toBe(false);
      expect(prepared?.entry.fixedIn).toEqual([]);
    });
  });

  describe('when the range type is ECOSYSTEM', () => {
    it('uses PEP 440 for PyPI', () => {
      const ev = [{ introduced: '1.0' }, { fixed: '1.0.post1' }];
      expect(affects(ev, '1.0.0', { type: 'ECOSYSTEM', ecosystem: 'PyPI' })).toBe(true);
      expect(affects(ev, '1.0.post1', { type: 'ECOSYSTEM', ecosystem: 'PyPI' })).toBe(false);
      expect(affects(ev, '1.0rc1', { type: 'ECOSYSTEM', ecosystem: 'PyPI' })).toBe(false);
    });
    it('uses SemVer with +incompatible and pseudo-versions for Go', () => {
      const ev = [{ introduced: '0' }, { fixed: '2.1.0+incompatible' }];
      expect(affects(ev, 'v2.0.0+incompatible', { type: 'ECOSYSTEM', ecosystem: 'Go' })).toBe(true);
      expect(affects(ev, 'v2.1.0-0.20191109021931-daa7c04131f5', { type: 'ECOSYSTEM', ecosystem: 'Go' })).toBe(true);
      expect(affects(ev, 'v2.1.0', { type: 'ECOSYSTEM', ecosystem: 'Go' })).toBe(false);
    });
    it('uses Maven version order for Maven', () => {
      const ev = [{ introduced: '2.0.0-beta9' }, { fixed: '2.15.0' }];
      const maven = { type: 'ECOSYSTEM', ecosystem: 'Maven' };
      expect(affects(ev, '2.0-beta8', maven)).toBe(false);
      expect(affects(ev, '2.0-rc1', maven)).toBe(true);
      expect(affects(ev, '2.14.1', maven)).toBe(true);
      expect(affects(ev, '2.15.0-SNAPSHOT', maven)).toBe(true);
      expect(affects(ev, '2.15', maven)).toBe(false);
      expect(affects(ev, '2.15.0.Final', maven)).toBe(false);
      expect(affects(ev, '2.9.10', maven)).toBe(true);
    });
    it('uses NuGet order (four parts, case-insensitive pre-releases) for NuGet', () => {
      const ev = [{ introduced: '4.0.0' }, { fixed: '4.3.1.2' }];
      const nuget = { type: 'ECOSYSTEM', ecosystem: 'NuGet' };
      expect(affects(ev, '4.3.1.1', nuget)).toBe(true);
      expect(affects(ev, '4.3.1.2-RC1', nuget)).toBe(true);
      expect(affects(ev, '4.3.1.2', nuget)).toBe(false);
      expect(affects(ev, '4.0.0-preview', nuget)).toBe(false);
    });
    it('never matches a range of an ecosystem without a comparator (only explicit versions do)', () => {
      expect(affects([{ introduced: '0' }], '1.0', { type: 'ECOSYSTEM', ecosystem: 'RubyGems' })).toBe(false);
      expect(affects([{ introduced: '0' }], '1.0', { type: 'ECOSYSTEM', ecosystem: 'RubyGems', versions: ['1.0'] })).toBe(true);
    });
  });
});
