import { describe, expect, it } from 'vitest';
import { cvssBaseScore, normalizeSeverityWord, severityFromScore, severityOf } from '../../../../src/analyse/vulns/index.ts';

describe('cvssBaseScore', () => {
  it('computes CVSS v3.0, v3.1 and v4.0 base scores', () => {
    expect(cvssBaseScore('CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H')).toBe(6.2);
    expect(cvssBaseScore('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N')).toBe(7.5);
    expect(cvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBe(9.3);
  });
  it('returns null for vectors it cannot score', () => {
    expect(cvssBaseScore('garbage')).toBeNull();
    expect(cvssBaseScore('AV:N/AC:L/Au:N/C:N/I:N/A:P')).toBeNull(); // CVSS v2 is not used
  });
});

describe('severityFromScore', () => {
  it('maps the CVSS qualitative scale to grype spelling', () => {
    expect([9.0, 8.9, 7.0, 6.9, 4.0, 3.9, 0.1, 0].map(severityFromScore)).toEqual(['Critical', 'High', 'High', 'Medium', 'Medium', 'Low', 'Low', 'Negligible']);
  });
});

describe('severityOf', () => {
  const base = { id: 'X-1', modified: '2026-01-01T00:00:00Z' };
  it('prefers CVSS v4 over v3', () => {
    const r = severityOf(
      { ...base, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' }, { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }] },
      undefined,
    );
    expect(r.severity).toBe('Critical');
    expect(r.cvss).toHaveLength(2);
  });
  it('falls back to database_specific severity words (GHSA MODERATE → Medium), else Unknown', () => {
    expect(severityOf({ ...base, database_specific: { severity: 'MODERATE' } }, undefined).severity).toBe('Medium');
    expect(severityOf(base, { database_specific: { severity: 'HIGH' } }).severity).toBe('High');
    expect(severityOf(base, undefined).severity).toBe('Unknown');
  });
  it('normalises the scanners\' spellings', () => {
    expect(['CRITICAL', 'High', 'medium', 'LOW', 'Negligible', 'UNKNOWN', 'weird'].map(normalizeSeverityWord)).toEqual([
      'Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown', null,
    ]);
  });
});
