// One rule for git, path and alternate-registry crates, whatever the input (docs/vulnerabilities.md):
// only crates.io crates are matched against crates.io advisories. Checked on real Cargo.lock files
// (test/fixtures/sbom/SOURCES.md) and on CycloneDX SBOMs of the same lock files, with purls encoded
// the way cargo-cyclonedx writes them (cargo-cyclonedx/src/purl.rs: vcs_url for git crates,
// download_url=file://… for path crates, repository_url for other registries).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PackageURL } from 'packageurl-js';
import { parse as parseToml } from 'smol-toml';
import { beforeAll, describe, expect, it } from 'vitest';
import { componentsFromCargoLock, componentsFromCycloneDx, componentsFromEmbedded } from '../../../src/analyse/sbom/index.ts';
import { loadOsvDatabase, scanComponents, type OsvDatabase } from '../../../src/analyse/vulns/index.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const DB = `${repo}test/fixtures/vulns/rustsec-osv-all.zip`;
const LOCKS = `${repo}test/fixtures/sbom/lockfiles/`;

let db: OsvDatabase;
beforeAll(async () => {
  db = await loadOsvDatabase(DB);
});

interface LockPackage {
  name: string;
  version: string;
  source?: string;
}

/** cargo-cyclonedx's purl for a Cargo.lock package (its purl.rs, transcribed). */
function cargoCyclonedxPurl(p: LockPackage): string {
  const q: Record<string, string> = {};
  if (p.source === undefined) q['download_url'] = `file://./${p.name}`;
  else if (p.source.startsWith('git+')) {
    const [base, commit] = [p.source.split(/[?#]/)[0] as string, p.source.split('#')[1]];
    q['vcs_url'] = commit === undefined ? base : `${base}@${commit}`;
  } else if (!/crates\.io-index|index\.crates\.io/.test(p.source)) q['repository_url'] = p.source.slice(p.source.indexOf('+') + 1);
  return new PackageURL('cargo', undefined, p.name, p.version, Object.keys(q).length > 0 ? q : undefined, undefined).toString();
}

function sbomFor(lock: string): unknown {
  const packages = (parseToml(lock) as unknown as { package: LockPackage[] }).package;
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    components: packages.map((p) => ({ type: 'library', 'bom-ref': cargoCyclonedxPurl(p), name: p.name, version: p.version, purl: cargoCyclonedxPurl(p) })),
  };
}

const kindOf = (reason: string | undefined): string | undefined => reason?.split(/[ :(]/)[0];

describe('git, path and alternate-registry crates: the same answer from a Cargo.lock and from its SBOM', () => {
  for (const lockFile of ['spin-v0.2.0.lock', 'syft-git-deps.lock', 'syft-path-deps.lock', 'spin-test-components.lock']) {
    it(lockFile, () => {
      const lock = readFileSync(`${LOCKS}${lockFile}`, 'utf8');
      const fromLock = scanComponents(componentsFromCargoLock(lock), db, { platform: 'any' });
      const fromSbom = scanComponents(componentsFromCycloneDx(sbomFor(lock)), db, { platform: 'any' });
      expect(fromLock.unmatched?.length).toBeGreaterThan(0);
      const key = (u: { name: string; version: string; reason: string }): string => `${u.name}@${u.version} ${kindOf(u.reason)}`;
      expect(fromSbom.unmatched?.map(key)).toEqual(fromLock.unmatched?.map(key));
      const ids = (s: typeof fromLock): string[] => s.matches.map((m) => `${m.vulnerability.id} ${m.artifact.name}@${m.artifact.version}`);
      expect(ids(fromSbom)).toEqual(ids(fromLock));
    });
  }

  it('does not match a git-sourced smallvec 1.6.0 against RUSTSEC-2021-0003, from any input, and says why', () => {
    const fromCratesIo = scanComponents(componentsFromCycloneDx({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [{ type: 'library', name: 'smallvec', version: '1.6.0', purl: 'pkg:cargo/smallvec@1.6.0' }] }), db);
    expect(fromCratesIo.matches.map((m) => m.vulnerability.id)).toContain('RUSTSEC-2021-0003');

    const gitPurl = 'pkg:cargo/smallvec@1.6.0?vcs_url=git%2Bhttps://github.com/servo/rust-smallvec%40a1c1b9f';
    const pathPurl = 'pkg:cargo/smallvec@1.6.0?download_url=file://../vendor/smallvec';
    const lock = 'version = 3\n\n[[package]]\nname = "smallvec"\nversion = "1.6.0"\nsource = "git+https://github.com/servo/rust-smallvec?rev=a1c1b9f#a1c1b9f"\n';
    const inputs = {
      'SBOM vcs_url': componentsFromCycloneDx({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [{ type: 'library', name: 'smallvec', version: '1.6.0', purl: gitPurl }] }),
      'SBOM download_url=file://': componentsFromCycloneDx({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [{ type: 'library', name: 'smallvec', version: '1.6.0', purl: pathPurl }] }),
      'Cargo.lock git source': componentsFromCargoLock(lock),
      '.dep-v0 git source': componentsFromEmbedded([{ name: 'smallvec', version: '1.6.0', source: 'git', kind: 'runtime' }]),
    };
    for (const [what, components] of Object.entries(inputs)) {
      const scan = scanComponents(components, db);
      expect(scan.matches, what).toEqual([]);
      expect(scan.unmatched?.[0]?.reason, what).toMatch(/^(embedded dependency \(\.dep-v0 source "git"\), )?(git source|path or workspace crate).*: not from crates\.io, not matched against crates\.io advisories$/);
    }
  });
});

describe('wasmgate scan with a scanner report and --db', () => {
  async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [`${repo}src/cli/main.ts`, ...args], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
      return { stdout, stderr, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  }

  it('refuses trivy\'s golden Cargo.lock report with --db, saying why and what to do instead', async () => {
    const r = await cli('scan', `${repo}test/fixtures/vulns/scanners/cargo.lock.json.golden`, '--db', DB);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('is a trivy report');
    expect(r.stderr).toContain('--db is not applied to it');
    expect(r.stderr).toContain('drop --db to read the report, or scan the SBOM or Cargo.lock it was made from');
  });

  it('refuses a grype report with --db the same way', async () => {
    const r = await cli('scan', `${repo}test/fixtures/vulns/scanners/keycloak-test.json`, '--db', DB);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a grype report');
  });

  it('still reads the trivy report without --db', async () => {
    const r = await cli('scan', `${repo}test/fixtures/vulns/scanners/cargo.lock.json.golden`, '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { source: string }).source).toBe('trivy');
  });
});
