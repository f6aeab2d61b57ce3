import type { VulnerabilityMatch, VulnerabilityScan } from '../../contract/input-v1.ts';
import type { Component } from '../sbom/types.ts';
import type { OsvDatabase } from './database.ts';
import { platformExclusion, WASM_PLATFORM, type PlatformRule } from './platform.ts';
import type { AdvisoryEntry } from './prepare.ts';
import { entryAffects, type ParsedVersions } from './range.ts';

export interface ScanOptions {
  /** the target platform for `affects.os/arch` restricted advisories; default WASM_PLATFORM */
  platform?: PlatformRule;
  /**
   * Count RustSec informational advisories (unmaintained/unsound/notice) as
   * vulnerabilities. Default false: they are still reported (with `informational`
   * set) but with severity `Negligible`, so a severity-based policy cannot deny on them.
   */
  countInformational?: boolean;
}

function toMatch(entry: AdvisoryEntry, c: Component, countInformational: boolean): VulnerabilityMatch {
  const informationalOnly = entry.informational !== null && !countInformational;
  const vulnerability: VulnerabilityMatch['vulnerability'] = {
    id: entry.id,
    aliases: [...entry.aliases],
    severity: informationalOnly ? 'Negligible' : entry.severity,
    fixed_in: [...entry.fixedIn],
    informational: entry.informational,
  };
  if (entry.summary !== undefined) vulnerability.summary = entry.summary;
  if (entry.cvss.length > 0) vulnerability.cvss = entry.cvss.map((x) => ({ ...x }));
  if (entry.url !== undefined) vulnerability.url = entry.url;
  return { vulnerability, artifact: { name: c.name, version: c.version, purl: c.purl ?? '' } };
}

function compareMatches(a: VulnerabilityMatch, b: VulnerabilityMatch): number {
  const ka = a.artifact.purl;
  const kb = b.artifact.purl;
  if (ka !== kb) return ka < kb ? -1 : 1;
  const ia = a.vulnerability.id;
  const ib = b.vulnerability.id;
  return ia === ib ? 0 : ia < ib ? -1 : 1;
}

/**
 * Matches components against the database. Components without a purl or
 * ecosystem are listed in `unmatched`; advisories excluded by the platform rule
 * are listed in `not_applicable`; withdrawn records were never indexed.
 * Output order is deterministic (purl, then advisory id); duplicates collapse.
 */
export function scanComponents(components: readonly Component[], db: OsvDatabase, options: ScanOptions = {}): VulnerabilityScan {
  const platform = options.platform ?? WASM_PLATFORM;
  const countInformational = options.countInformational ?? false;
  const matches: VulnerabilityMatch[] = [];
  const unmatched: NonNullable<VulnerabilityScan['unmatched']> = [];
  const notApplicable: NonNullable<VulnerabilityScan['not_applicable']> = [];
  const seen = new Set<string>();
  for (const c of components) {
    if (c.purl === null || c.ecosystem === null || c.unmatched_reason !== undefined) {
      unmatched.push({ name: c.name, version: c.version, reason: c.unmatched_reason ?? 'no purl' });
      continue;
    }
    const dedupe = `${c.ecosystem}\u0000${c.name}\u0000${c.version}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    const entries = c.ecosystem === 'generic' ? db.lookupPurl(c.purl) : db.lookup(c.ecosystem, c.name);
    if (entries.length === 0) continue;
    const parsed: ParsedVersions = new Map();
    for (const entry of entries) {
      if (!entryAffects(entry, c.version, parsed)) continue;
      const excluded = platformExclusion(entry.platform, platform);
      if (excluded !== null) {
        notApplicable.push({ id: entry.id, name: c.name, version: c.version, reason: excluded });
        continue;
      }
      matches.push(toMatch(entry, c, countInformational));
    }
  }
  matches.sort(compareMatches);
  const { name, built, records, version } = db.info;
  const scan: VulnerabilityScan = { source: 'osv', database: { name, built, records, version }, matches, unmatched };
  if (notApplicable.length > 0) scan.not_applicable = notApplicable;
  return scan;
}
