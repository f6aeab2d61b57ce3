import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ingestGrype, ingestTrivy, ingestVulnAttestation } from '../../../../src/analyse/vulns/index.ts';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../../fixtures/vulns/scanners/${name}`, import.meta.url), 'utf8'));
}

describe('ingestTrivy', () => {
  describe('when given trivy\'s saved Cargo report (test-repo.json.golden)', () => {
    it('normalises UPPERCASE severities and comma-separated fixed versions into matches', () => {
      const scan = ingestTrivy(fixture('test-repo.json.golden'));
      expect(scan.source).toBe('trivy');
      expect(scan.matches.map((m) => [m.vulnerability.id, m.artifact.purl, m.vulnerability.severity])).toEqual([
        ['CVE-2019-15542', 'pkg:cargo/ammonia@1.9.0', 'High'],
        ['CVE-2021-38193', 'pkg:cargo/ammonia@1.9.0', 'Medium'],
      ]);
      expect(scan.matches[1]?.vulnerability.fixed_in).toEqual(['>= 3.1.0', '>= 2.1.3', '< 3.0.0']);
      expect(scan.matches[0]?.vulnerability.cvss?.[0]).toEqual({ type: 'CVSS_V3', vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', score: 7.5 });
    });
  });
  describe('when given an npm report', () => {
    it('keeps every vulnerability with its purl', () => {
      const scan = ingestTrivy(fixture('npm.json.golden'));
      expect(scan.matches.length).toBeGreaterThan(0);
      for (const m of scan.matches) expect(m.artifact.purl).toMatch(/^pkg:npm\//);
    });
  });
  it('rejects another schema version with VULN_REPORT_INVALID naming the path', () => {
    expect(() => ingestTrivy({ SchemaVersion: 1, Results: [] })).toThrow(expect.objectContaining({ code: 'VULN_REPORT_INVALID', details: { path: '/SchemaVersion' } }));
  });
});

describe('ingestGrype', () => {
  describe('when given real grype reports', () => {
    it('carries ids, title-case severities, fix versions and related vulnerabilities as aliases', () => {
      const scan = ingestGrype(fixture('ghsa-test.json'));
      expect(scan.source).toBe('grype');
      const m = scan.matches.find((x) => x.vulnerability.id === 'GHSA-cfh5-3ghh-wfjx');
      expect(m?.vulnerability.severity).toBe('Medium');
      expect(m?.vulnerability.fixed_in).toEqual(['4.3.5']);
      expect(m?.vulnerability.aliases).toContain('CVE-2014-3577');
      expect(m?.vulnerability.informational).toBeNull();
    });
    it('reads every match of the keycloak and chainguard reports', () => {
      for (const f of ['keycloak-test.json', 'chainguard-ruby-test.json']) {
        const raw = fixture(f) as { matches: unknown[] };
        const scan = ingestGrype(raw);
        expect(scan.matches).toHaveLength(raw.matches.length);
        for (const m of scan.matches) expect(['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown']).toContain(m.vulnerability.severity);
      }
    });
  });
  it('rejects a document without matches', () => {
    expect(() => ingestGrype({})).toThrow(expect.objectContaining({ code: 'VULN_REPORT_INVALID' }));
  });
});

describe('ingestVulnAttestation', () => {
  it('unwraps a cosign vuln/v1 predicate whose scanner.result is a trivy report', () => {
    const scan = ingestVulnAttestation({
      invocation: {},
      scanner: { uri: 'pkg:github/aquasecurity/trivy@0.50.0', version: '0.50.0', db: { uri: '', version: '2' }, result: fixture('test-repo.json.golden') },
      metadata: { scanStartedOn: '2026-01-01T00:00:00Z', scanFinishedOn: '2026-01-01T00:00:01Z' },
    });
    expect(scan.source).toBe('attestation');
    expect(scan.database.name).toBe('pkg:github/aquasecurity/trivy@0.50.0 0.50.0');
    expect(scan.matches.map((m) => m.vulnerability.id)).toEqual(['CVE-2019-15542', 'CVE-2021-38193']);
  });
  it('accepts a bare grype report and rejects anything else', () => {
    expect(ingestVulnAttestation(fixture('ghsa-test.json')).source).toBe('attestation');
    expect(() => ingestVulnAttestation({ foo: 1 })).toThrow(expect.objectContaining({ code: 'VULN_REPORT_INVALID' }));
  });
});
