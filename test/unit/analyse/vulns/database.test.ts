import { describe, expect, it, beforeAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { cargoComponent, componentFromPurl, type Component } from '../../../../src/analyse/sbom/index.ts';
import { buildOsvDatabase, loadOsvDatabase, scanComponents, VulnError, type OsvDatabase } from '../../../../src/analyse/vulns/index.ts';

const fixtures = fileURLToPath(new URL('../../../fixtures/vulns/', import.meta.url));
const RUSTSEC_ZIP = `${fixtures}rustsec-osv-all.zip`;

let db: OsvDatabase;
beforeAll(async () => {
  db = await loadOsvDatabase(RUSTSEC_ZIP, { name: 'rustsec' });
});

function idsFor(components: Component[], opts: Parameters<typeof scanComponents>[2] = {}): string[] {
  return scanComponents(components, db, opts).matches.map((m) => m.vulnerability.id);
}

describe('loadOsvDatabase', () => {
  describe('when given the RustSec OSV export zip', () => {
    it('loads all 1,206 records, counts the 13 withdrawn ones and reports a content version', () => {
      expect(db.info.records).toBe(1206);
      expect(db.info.withdrawn).toBe(13);
      expect(db.info.invalid).toBe(0);
      expect(db.info.name).toBe('rustsec');
      expect(db.info.version).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(db.info.built).toBe('2026-08-21T06:28:40Z');
    });
  });

  describe('when given a directory with a schema-invalid record', () => {
    it('skips and counts it, and indexes the rest by ecosystem and package', async () => {
      const linter = await loadOsvDatabase(`${fixtures}osv-linter`);
      expect(linter.info.invalid).toBe(1); // nointroduced-CVE-2023-41045.json: an empty events list
      expect(linter.info.records).toBe(11);
      expect(linter.lookup('Go', 'github.com/gin-gonic/gin').map((e) => e.id)).toEqual(['GO-2020-0001']);
      expect(linter.lookup('PyPI', 'Requests').map((e) => e.id)).toEqual(['PYSEC-2023-74']);
    });
    it('gives the same version for the same records whether zipped or not', async () => {
      const a = await loadOsvDatabase(`${fixtures}osv-linter`);
      const b = await loadOsvDatabase(`${fixtures}osv-linter`);
      expect(a.info.version).toBe(b.info.version);
    });
  });

  describe('when the source holds no valid records', () => {
    it('throws VULN_DB_EMPTY', async () => {
      await expect(loadOsvDatabase(`${fixtures}scanners`)).rejects.toMatchObject({ code: 'VULN_DB_EMPTY' });
    });
    it('throws VULN_DB_LOAD_ERROR for a missing path', async () => {
      const err = await loadOsvDatabase(`${fixtures}does-not-exist`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VulnError);
      expect(err).toMatchObject({ code: 'VULN_DB_LOAD_ERROR' });
    });
  });
});

describe('scanComponents', () => {
  describe('when a crate sits on pre-release bounds (RUSTSEC-2020-0071, time)', () => {
    it('follows introduced 0.2.1-0 / fixed 0.2.1 exactly', () => {
      const at = (v: string) => idsFor([cargoComponent('time', v)], { platform: 'any' }).includes('RUSTSEC-2020-0071');
      expect(at('0.1.44')).toBe(true);
      expect(at('0.2.0')).toBe(false);
      expect(at('0.2.1-0')).toBe(true);
      expect(at('0.2.1')).toBe(false);
      expect(at('0.2.22')).toBe(true);
      expect(at('0.2.23')).toBe(false);
      expect(at('0.3.0')).toBe(false);
    });
  });

  describe('when versions carry build metadata', () => {
    it('ignores it for ordering (libgit2-sys 0.12.26+1.3.0 is below the 0.16.2 fix; 0.16.2+1.7.2 is the fix)', () => {
      expect(idsFor([cargoComponent('libgit2-sys', '0.12.26+1.3.0')])).toContain('RUSTSEC-2024-0013');
      expect(idsFor([cargoComponent('libgit2-sys', '0.16.2+1.7.2')])).not.toContain('RUSTSEC-2024-0013');
    });
  });

  describe('when the only advisory is withdrawn', () => {
    it('never matches it (RUSTSEC-2025-0007, ring, all versions)', () => {
      expect(idsFor([cargoComponent('ring', '0.16.20')])).not.toContain('RUSTSEC-2025-0007');
      expect(idsFor([cargoComponent('spin', '0.5.2')])).not.toContain('RUSTSEC-2019-0031');
    });
  });

  describe('when the advisory is informational (RUSTSEC-2019-0036, failure: unsound, CVSS 9.8)', () => {
    it('reports it with informational set and severity Negligible by default', () => {
      const [m] = scanComponents([cargoComponent('failure', '0.1.8')], db).matches.filter((x) => x.vulnerability.id === 'RUSTSEC-2019-0036');
      expect(m?.vulnerability.informational).toBe('unsound');
      expect(m?.vulnerability.severity).toBe('Negligible');
      expect(m?.vulnerability.cvss?.[0]?.score).toBe(9.8);
    });
    it('keeps the CVSS severity when informational advisories are counted', () => {
      const [m] = scanComponents([cargoComponent('failure', '0.1.8')], db, { countInformational: true }).matches.filter(
        (x) => x.vulnerability.id === 'RUSTSEC-2019-0036',
      );
      expect(m?.vulnerability.severity).toBe('Critical');
      expect(m?.vulnerability.informational).toBe('unsound');
    });
  });

  describe('when an advisory is restricted to an OS or an architecture', () => {
    it('lists it as not applicable for wasm (the default) and matches it for platform "any"', () => {
      const comps = [cargoComponent('tokio', '1.20.0'), cargoComponent('raw-cpuid', '8.1.2')];
      const wasm = scanComponents(comps, db);
      expect(wasm.matches.map((m) => m.vulnerability.id)).not.toContain('RUSTSEC-2023-0001');
      expect(wasm.not_applicable).toEqual(
        expect.arrayContaining([
          { id: 'RUSTSEC-2023-0001', name: 'tokio', version: '1.20.0', reason: 'affects only os windows' },
          { id: 'RUSTSEC-2021-0013', name: 'raw-cpuid', version: '8.1.2', reason: 'affects only arch x86, x86_64' },
        ]),
      );
      const any = idsFor(comps, { platform: 'any' });
      expect(any).toEqual(expect.arrayContaining(['RUSTSEC-2023-0001', 'RUSTSEC-2021-0013']));
    });
  });

  describe('when a record has a CVSS v4 vector', () => {
    it('derives the severity from it (RUSTSEC-2026-0095, wasmtime: Critical)', () => {
      const m = scanComponents([cargoComponent('wasmtime', '0.34.1')], db).matches.find((x) => x.vulnerability.id === 'RUSTSEC-2026-0095');
      expect(m?.vulnerability.severity).toBe('Critical');
      expect(m?.vulnerability.aliases).toEqual(['CVE-2026-34987', 'GHSA-xx5w-cvp6-jv83']);
      expect(m?.vulnerability.fixed_in).toEqual(['36.0.7', '42.0.2', '43.0.1']);
    });
  });

  describe('when components are not matchable or repeated', () => {
    it('lists purl-less components as unmatched and collapses duplicates', () => {
      const scan = scanComponents(
        [cargoComponent('failure', '0.1.8'), cargoComponent('failure', '0.1.8'), { name: 'mine', version: '0.1.0', purl: null, ecosystem: null, unmatched_reason: 'path crate' }],
        db,
      );
      expect(scan.matches.filter((m) => m.vulnerability.id === 'RUSTSEC-2019-0036')).toHaveLength(1);
      expect(scan.unmatched).toEqual([{ name: 'mine', version: '0.1.0', reason: 'path crate' }]);
    });
  });

  describe('when matching other ecosystems by purl', () => {
    it('uses PEP 440 for PyPI (normalised names), SemVer for Go, and explicit versions lists', async () => {
      const linter = await loadOsvDatabase(`${fixtures}osv-linter`);
      const ids = (purl: string) => scanComponents([componentFromPurl(purl, '', '')], linter, { platform: 'any' }).matches.map((m) => m.vulnerability.id);
      expect(ids('pkg:pypi/Requests@2.30.0')).toEqual(['PYSEC-2023-74']);
      expect(ids('pkg:pypi/requests@2.31.0')).toEqual([]);
      expect(ids('pkg:pypi/requests@2.3.0')).toEqual(['PYSEC-2023-74']); // on the introduced bound
      expect(ids('pkg:pypi/requests@2.3.0rc1')).toEqual([]); // a pre-release below it
      expect(ids('pkg:pypi/requests@2.30.0.post1')).toEqual(['PYSEC-2023-74']);
      expect(ids('pkg:golang/github.com/gin-gonic/gin@v1.5.0')).toEqual(['GO-2020-0001']);
      expect(ids('pkg:golang/github.com/gin-gonic/gin@v1.6.0')).toEqual([]);
      expect(ids('pkg:pypi/gradio@4.36.1')).toEqual(['GHSA-9v2f-6vcg-3hgv']);
    });
  });
});

describe('buildOsvDatabase', () => {
  const entry = (id: string, pkg: { ecosystem: string; name: string; purl?: string }, events: Array<Record<string, string>>) => ({
    name: `${id}.json`,
    bytes: new TextEncoder().encode(JSON.stringify({ id, modified: '2026-01-01T00:00:00Z', affected: [{ package: pkg, ranges: [{ type: 'SEMVER', events }] }] })),
  });
  it('matches scoped npm purls and generic purls', () => {
    const small = buildOsvDatabase([
      entry('OSV-2026-1', { ecosystem: 'npm', name: '@scope/pkg' }, [{ introduced: '0' }, { fixed: '2.0.0' }]),
      entry('OSV-2026-2', { ecosystem: 'GIT', name: 'openssl', purl: 'pkg:generic/openssl' }, [{ introduced: '3.0.0' }, { last_affected: '3.0.7' }]),
    ]);
    const ids = (purl: string) => scanComponents([componentFromPurl(purl, '', '')], small).matches.map((m) => m.vulnerability.id);
    expect(ids('pkg:npm/%40scope/pkg@1.9.9')).toEqual(['OSV-2026-1']);
    expect(ids('pkg:npm/%40scope/pkg@2.0.0')).toEqual([]);
    expect(ids('pkg:generic/openssl@3.0.7')).toEqual(['OSV-2026-2']);
    expect(ids('pkg:generic/openssl@3.0.8')).toEqual([]);
  });
  const record = (id: string, affected: unknown) => ({
    name: `${id}.json`,
    bytes: new TextEncoder().encode(JSON.stringify({ id, modified: '2026-01-01T00:00:00Z', affected: [affected] })),
  });
  it('matches a record with a GIT range only through its versions list', () => {
    const git = buildOsvDatabase([
      record('OSV-2026-3', {
        package: { ecosystem: 'crates.io', name: 'demo' },
        ranges: [{ type: 'GIT', repo: 'https://github.com/example/demo', events: [{ introduced: '0' }, { fixed: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' }] }],
        versions: ['0.3.0', '0.3.1'],
      }),
    ]);
    expect(git.info.invalid).toBe(0);
    expect(git.info.degraded).toBe(0);
    const scan = (purl: string) => scanComponents([componentFromPurl(purl, '', '')], git, { platform: 'any' }).matches;
    expect(scan('pkg:cargo/demo@0.3.1').map((m) => m.vulnerability.id)).toEqual(['OSV-2026-3']);
    expect(scan('pkg:cargo/demo@0.3.1')[0]?.vulnerability.fixed_in).toEqual([]);
    expect(scan('pkg:cargo/demo@0.3.2')).toEqual([]);
    expect(scan('pkg:cargo/demo@0.0.1')).toEqual([]);
  });
  it('matches Maven purls by group:artifact with Maven version order', () => {
    const maven = buildOsvDatabase([
      record('OSV-2026-4', {
        package: { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0-beta9' }, { fixed: '2.15.0' }] }],
      }),
    ]);
    expect(maven.info.degraded).toBe(0);
    const ids = (purl: string) => scanComponents([componentFromPurl(purl, '', '')], maven, { platform: 'any' }).matches.map((m) => m.vulnerability.id);
    expect(ids('pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1')).toEqual(['OSV-2026-4']);
    expect(ids('pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0-rc1')).toEqual(['OSV-2026-4']);
    expect(ids('pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0')).toEqual([]);
    expect(ids('pkg:maven/org.apache.logging.log4j/log4j-core@2.0-alpha1')).toEqual([]);
  });
});
