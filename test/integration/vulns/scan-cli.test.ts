import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VulnerabilityScan } from '../../../src/contract/input-v1.ts';
import { componentsFromCargoLock } from '../../../src/analyse/sbom/index.ts';
import { ingestTrivy, loadOsvDatabase, scanComponents, type OsvDatabase } from '../../../src/analyse/vulns/index.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const DB = `${repo}test/fixtures/vulns/rustsec-osv-all.zip`;
const LOCKS = `${repo}test/fixtures/sbom/lockfiles/`;

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [`${repo}src/cli/main.ts`, ...args], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

let db: OsvDatabase;
beforeAll(async () => {
  db = await loadOsvDatabase(DB);
});

describe('cross-check against trivy\'s saved reports', () => {
  // trivy scanned trivy-ci-test's Cargo.lock and reported CVE ids; RustSec reports RUSTSEC ids with CVE aliases.
  for (const golden of ['test-repo.json.golden', 'busybox-with-lockfile.json.golden']) {
    it(`reports a RustSec advisory aliasing every CVE of ${golden}, on the same package and version`, () => {
      const trivy = ingestTrivy(JSON.parse(readFileSync(`${repo}test/fixtures/vulns/scanners/${golden}`, 'utf8')));
      const ours = scanComponents(componentsFromCargoLock(readFileSync(`${LOCKS}trivy-ci-test-v1.lock`, 'utf8')), db, { platform: 'any' });
      const cargo = trivy.matches.filter((m) => m.artifact.purl.startsWith('pkg:cargo/'));
      expect(cargo.length).toBeGreaterThan(0);
      for (const t of cargo) {
        const hit = ours.matches.find((m) => m.artifact.purl === t.artifact.purl && m.vulnerability.aliases.includes(t.vulnerability.id));
        expect(hit, `${t.vulnerability.id} on ${t.artifact.purl}`).toBeDefined();
        // trivy's FixedVersion text names the same fix versions
        for (const fix of hit?.vulnerability.fixed_in ?? []) expect(t.vulnerability.fixed_in.join(' ')).toContain(fix);
      }
    });
  }
});

describe('wasmgate scan', () => {
  describe('when given a Cargo.lock and --json', () => {
    it('prints exactly the vulnerability_scan object', async () => {
      const { stdout, code } = await cli('scan', `${LOCKS}trivy-ci-test-v1.lock`, '--db', DB, '--json');
      expect(code).toBe(0);
      const printed = JSON.parse(stdout) as VulnerabilityScan;
      const expected = scanComponents(componentsFromCargoLock(readFileSync(`${LOCKS}trivy-ci-test-v1.lock`, 'utf8')), db);
      expect(printed).toEqual(JSON.parse(JSON.stringify(expected)));
      expect(Object.keys(printed).sort()).toEqual(Object.keys(expected).sort());
      expect(printed.matches.find((m) => m.vulnerability.id === 'RUSTSEC-2019-0001')?.vulnerability.aliases).toContain('CVE-2019-15542');
    });
  });
  describe('when given an SBOM without --json', () => {
    it('prints a table grouped by severity, informational and unmatched separately', async () => {
      const { stdout, code } = await cli('scan', `${LOCKS}spin-v0.2.0.lock`, '--db', DB, '--platform', 'any');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^database: osv sha256:/);
      const critical = stdout.indexOf('\nCritical (');
      const high = stdout.indexOf('\nHigh (');
      expect(critical).toBeGreaterThan(0);
      expect(high).toBeGreaterThan(critical);
      expect(stdout).toContain('\nInformational (');
      expect(stdout).toContain('\nNot matched (');
    });
    it('reads a CycloneDX SBOM (cargo-sbom output) detected by content', async () => {
      const { stdout, code } = await cli('scan', `${repo}test/fixtures/sbom/cargo-sbom/examples/sbom.cyclonedx.json`, '--db', DB, '--json');
      expect(code).toBe(0);
      expect((JSON.parse(stdout) as VulnerabilityScan).source).toBe('osv');
    });
  });
  describe('when given a trivy report', () => {
    it('ingests it without a database', async () => {
      const { stdout, code } = await cli('scan', `${repo}test/fixtures/vulns/scanners/test-repo.json.golden`, '--json');
      expect(code).toBe(0);
      expect((JSON.parse(stdout) as VulnerabilityScan).source).toBe('trivy');
    });
  });
  describe('when the input is invalid', () => {
    it('exits 2 naming the JSON path of an invalid CycloneDX document', async () => {
      const { stderr, code } = await cli('scan', `${repo}test/fixtures/sbom/cyclonedx/1.5/invalid-metadata-timestamp-1.5.json`, '--db', DB);
      expect(code).toBe(2);
      expect(stderr).toContain('SBOM_INVALID');
      expect(stderr).toContain('/metadata/timestamp');
    });
    it('exits 2 when an SBOM is given without --db', async () => {
      const { stderr, code } = await cli('scan', `${LOCKS}trivy-cargo.lock`);
      expect(code).toBe(2);
      expect(stderr).toContain('--db');
    });
  });
});
