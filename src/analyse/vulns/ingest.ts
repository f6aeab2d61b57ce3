import type { Severity, VulnerabilityMatch, VulnerabilityScan } from '../../contract/input-v1.ts';
import { VulnError } from './error.ts';
import { normalizeSeverityWord } from './severity.ts';
import { isRecord } from '../../common/is-record.ts';

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function severity(v: unknown): Severity {
  return normalizeSeverityWord(v) ?? 'Unknown';
}

function invalid(tool: string, path: string, what: string): VulnError {
  return new VulnError('VULN_REPORT_INVALID', `${tool} report is invalid at ${path}: ${what}`, { details: { path } });
}

function sortMatches(matches: VulnerabilityMatch[]): VulnerabilityMatch[] {
  return matches.sort((a, b) =>
    a.artifact.purl !== b.artifact.purl
      ? a.artifact.purl < b.artifact.purl
        ? -1
        : 1
      : a.vulnerability.id < b.vulnerability.id
        ? -1
        : a.vulnerability.id > b.vulnerability.id
          ? 1
          : 0,
  );
}

/**
 * A grype JSON report (`grype -o json`) as a vulnerability_scan: ids, title-case
 * severities, fix versions, CVSS entries and related vulnerabilities as aliases.
 */
export function ingestGrype(json: unknown): VulnerabilityScan {
  if (!isRecord(json) || !Array.isArray(json['matches'])) throw invalid('grype', '/matches', 'must be an array');
  const matches: VulnerabilityMatch[] = [];
  json['matches'].forEach((m: unknown, i: number) => {
    if (!isRecord(m) || !isRecord(m['vulnerability']) || !isRecord(m['artifact'])) {
      throw invalid('grype', `/matches/${i}`, 'needs "vulnerability" and "artifact" objects');
    }
    const v = m['vulnerability'];
    const a = m['artifact'];
    const id = str(v['id']);
    if (id === '') throw invalid('grype', `/matches/${i}/vulnerability/id`, 'must be a non-empty string');
    const related = Array.isArray(m['relatedVulnerabilities']) ? (m['relatedVulnerabilities'] as unknown[]) : [];
    const aliases = [...new Set(related.filter(isRecord).map((r) => str(r['id'])).filter((x) => x !== '' && x !== id))];
    const fix = isRecord(v['fix']) ? v['fix'] : {};
    const cvss = (Array.isArray(v['cvss']) ? (v['cvss'] as unknown[]) : []).filter(isRecord).map((c) => {
      const metrics = isRecord(c['metrics']) ? c['metrics'] : {};
      const score = metrics['baseScore'];
      return { type: `CVSS_V${str(c['version']).split('.')[0] ?? ''}`, vector: str(c['vector']), score: typeof score === 'number' ? score : null };
    });
    const vulnerability: VulnerabilityMatch['vulnerability'] = {
      id,
      aliases,
      severity: severity(v['severity']),
      fixed_in: strings(fix['versions']),
      informational: null,
    };
    if (cvss.length > 0) vulnerability.cvss = cvss;
    const url = str(v['dataSource']);
    if (url !== '') vulnerability.url = url;
    matches.push({ vulnerability, artifact: { name: str(a['name']), version: str(a['version']), purl: str(a['purl']) } });
  });
  const descriptor = isRecord(json['descriptor']) ? json['descriptor'] : {};
  const db = isRecord(descriptor['db']) ? descriptor['db'] : {};
  const status = isRecord(db['status']) ? db['status'] : db;
  return {
    source: 'grype',
    database: {
      name: `grype ${str(descriptor['version'])}`.trim(),
      built: str(status['built']) || str(descriptor['timestamp']),
      records: 0,
    },
    matches: sortMatches(matches),
  };
}

/** trivy's FixedVersion is a comma-separated list ("2.1.3, 3.1.0" or ">= 2.1.0"). */
function trivyFixed(v: unknown): string[] {
  return str(v)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * A trivy JSON report (`trivy … -f json`, SchemaVersion 2) as a
 * vulnerability_scan: UPPERCASE severities become grype's title case; VendorIDs
 * (e.g. GHSA ids) become aliases.
 */
export function ingestTrivy(json: unknown): VulnerabilityScan {
  if (!isRecord(json)) throw invalid('trivy', '/', 'must be a JSON object');
  if (json['SchemaVersion'] !== 2) throw invalid('trivy', '/SchemaVersion', `is ${JSON.stringify(json['SchemaVersion'])}; only SchemaVersion 2 is supported`);
  const results = json['Results'] ?? [];
  if (!Array.isArray(results)) throw invalid('trivy', '/Results', 'must be an array');
  const matches: VulnerabilityMatch[] = [];
  results.forEach((r: unknown, i: number) => {
    if (!isRecord(r)) throw invalid('trivy', `/Results/${i}`, 'must be an object');
    const vulns = r['Vulnerabilities'] ?? [];
    if (!Array.isArray(vulns)) throw invalid('trivy', `/Results/${i}/Vulnerabilities`, 'must be an array');
    vulns.forEach((v: unknown, j: number) => {
      if (!isRecord(v) || str(v['VulnerabilityID']) === '') {
        throw invalid('trivy', `/Results/${i}/Vulnerabilities/${j}/VulnerabilityID`, 'must be a non-empty string');
      }
      const ident = isRecord(v['PkgIdentifier']) ? v['PkgIdentifier'] : {};
      const cvss: Array<{ type: string; vector: string; score: number | null }> = [];
      if (isRecord(v['CVSS'])) {
        for (const entry of Object.values(v['CVSS'])) {
          if (!isRecord(entry)) continue;
          if (typeof entry['V3Vector'] === 'string') cvss.push({ type: 'CVSS_V3', vector: entry['V3Vector'], score: typeof entry['V3Score'] === 'number' ? entry['V3Score'] : null });
          if (typeof entry['V40Vector'] === 'string') cvss.push({ type: 'CVSS_V4', vector: entry['V40Vector'], score: typeof entry['V40Score'] === 'number' ? entry['V40Score'] : null });
        }
      }
      const vulnerability: VulnerabilityMatch['vulnerability'] = {
        id: str(v['VulnerabilityID']),
        aliases: strings(v['VendorIDs']),
        severity: severity(v['Severity']),
        fixed_in: trivyFixed(v['FixedVersion']),
        informational: null,
      };
      const title = str(v['Title']);
      if (title !== '') vulnerability.summary = title;
      if (cvss.length > 0) vulnerability.cvss = cvss;
      const url = str(v['PrimaryURL']);
      if (url !== '') vulnerability.url = url;
      matches.push({ vulnerability, artifact: { name: str(v['PkgName']), version: str(v['InstalledVersion']), purl: str(ident['PURL']) } });
    });
  });
  const trivy = isRecord(json['Trivy']) ? json['Trivy'] : {};
  return {
    source: 'trivy',
    database: { name: `trivy ${str(trivy['Version'])}`.trim(), built: str(json['CreatedAt']), records: 0 },
    matches: sortMatches(matches),
  };
}

/** A grype or trivy JSON report, told apart by its shape. */
export function ingestScanReport(json: unknown): VulnerabilityScan {
  if (isRecord(json) && Array.isArray(json['matches'])) return ingestGrype(json);
  if (isRecord(json) && json['SchemaVersion'] !== undefined) return ingestTrivy(json);
  throw invalid('scanner', '/', 'is neither a grype report (matches[]) nor a trivy report (SchemaVersion)');
}

/**
 * The predicate of a cosign vulnerability attestation
 * (`https://cosign.sigstore.dev/attestation/vuln/v1`: `scanner.result` holds the
 * scanner's own JSON), or a bare grype/trivy report; the scan's source is
 * `attestation`, the database name keeps the scanner's.
 */
export function ingestVulnAttestation(predicate: unknown): VulnerabilityScan {
  const scanner = isRecord(predicate) && isRecord(predicate['scanner']) ? predicate['scanner'] : undefined;
  const report = scanner !== undefined ? scanner['result'] : predicate;
  const scan = ingestScanReport(report);
  if (scanner !== undefined) {
    const db = isRecord(scanner['db']) ? scanner['db'] : {};
    const name = [str(scanner['uri']), str(scanner['version'])].filter((s) => s !== '').join(' ');
    if (name !== '') scan.database.name = name;
    if (str(db['version']) !== '') scan.database.version = str(db['version']);
  }
  return { ...scan, source: 'attestation' };
}
