import { baseEcosystem } from './ecosystems.ts';
import type { OsvAffected, OsvEvent, OsvRecord } from './osv-types.ts';
import { severityOf, type CvssScore } from './severity.ts';
import type { Severity } from '../../contract/input-v1.ts';
import { SEMVER_SCHEME, schemeForEcosystem, type VersionScheme } from './versions/index.ts';

/** Sentinel for OSV's `introduced: "0"`: lower than every version. */
export const ZERO: unique symbol = Symbol('osv-zero');

export const EVENT_INTRODUCED = 0;
export const EVENT_FIXED = 1;
export const EVENT_LAST_AFFECTED = 2;

export interface PreparedEvent {
  readonly kind: 0 | 1 | 2;
  readonly version: unknown; // parsed by the range's scheme, or ZERO
}

/** A SEMVER/ECOSYSTEM range with its events parsed and sorted once, at load. */
export interface PreparedRange {
  readonly scheme: VersionScheme;
  readonly events: readonly PreparedEvent[];
  /** parsed `limit` versions; empty = no limit */
  readonly limits: readonly unknown[];
}

export interface PlatformRestriction {
  readonly os: readonly string[];
  readonly arch: readonly string[];
}

/** One (record, affected package) pair, ready to match. */
export interface AdvisoryEntry {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly summary: string | undefined;
  readonly url: string | undefined;
  readonly severity: Severity;
  readonly cvss: readonly CvssScore[];
  /** RustSec `informational` kind (unmaintained, unsound, notice), else null */
  readonly informational: string | null;
  readonly fixedIn: readonly string[];
  readonly platform: PlatformRestriction | null;
  readonly ranges: readonly PreparedRange[];
  readonly versions: ReadonlySet<string>;
  /** true when some range could not be prepared (unparseable bound); such a range never matches */
  readonly degraded: boolean;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function informationalOf(record: OsvRecord, affected: OsvAffected): string | null {
  const v = affected.database_specific?.['informational'] ?? record.database_specific?.['informational'];
  return typeof v === 'string' && v !== '' ? v : null;
}

function platformOf(affected: OsvAffected): PlatformRestriction | null {
  const affects = affected.ecosystem_specific?.['affects'];
  if (typeof affects !== 'object' || affects === null) return null;
  const os = strings((affects as Record<string, unknown>)['os']).map((s) => s.toLowerCase());
  const arch = strings((affects as Record<string, unknown>)['arch']).map((s) => s.toLowerCase());
  return os.length === 0 && arch.length === 0 ? null : { os, arch };
}

function advisoryUrl(record: OsvRecord): string | undefined {
  const refs = record.references ?? [];
  return (refs.find((r) => r.type === 'ADVISORY') ?? refs[0])?.url;
}

// Parses and sorts one range's events. Returns null when a bound does not parse.
function prepareRange(scheme: VersionScheme, events: readonly OsvEvent[]): PreparedRange | null {
  const prepared: PreparedEvent[] = [];
  const limits: unknown[] = [];
  for (const e of events) {
    if (e.introduced !== undefined) {
      if (e.introduced === '0') prepared.push({ kind: EVENT_INTRODUCED, version: ZERO });
      else {
        const v = scheme.parse(e.introduced);
        if (v === null) return null;
        prepared.push({ kind: EVENT_INTRODUCED, version: v });
      }
    } else if (e.fixed !== undefined) {
      const v = scheme.parse(e.fixed);
      if (v === null) return null;
      prepared.push({ kind: EVENT_FIXED, version: v });
    } else if (e.last_affected !== undefined) {
      const v = scheme.parse(e.last_affected);
      if (v === null) return null;
      prepared.push({ kind: EVENT_LAST_AFFECTED, version: v });
    } else if (e.limit !== undefined) {
      if (e.limit === '*') continue; // "*" = no limit
      const v = scheme.parse(e.limit);
      if (v === null) return null;
      limits.push(v);
    }
  }
  // Stable sort by version; ZERO first.
  const indexed = prepared.map((p, i) => ({ p, i }));
  indexed.sort((a, b) => {
    if (a.p.version === ZERO) return b.p.version === ZERO ? a.i - b.i : -1;
    if (b.p.version === ZERO) return 1;
    return scheme.compare(a.p.version, b.p.version) || a.i - b.i;
  });
  return { scheme, events: indexed.map((x) => x.p), limits };
}

/**
 * Prepares one record's affected entries. GIT ranges are skipped (a component matched by purl carries a version,
 * not a commit); the record's explicit `versions` list still matches.
 */
export function prepareRecord(record: OsvRecord): Array<{ ecosystem: string; name: string; purl: string | undefined; entry: AdvisoryEntry }> {
  const out: Array<{ ecosystem: string; name: string; purl: string | undefined; entry: AdvisoryEntry }> = [];
  for (const affected of record.affected ?? []) {
    if (affected.package === undefined) continue;
    const ecosystem = baseEcosystem(affected.package.ecosystem);
    const ecoScheme = schemeForEcosystem(ecosystem);
    const ranges: PreparedRange[] = [];
    const fixedIn = new Set<string>();
    let degraded = false;
    for (const range of affected.ranges ?? []) {
      // GIT ranges bound commits, and a component carries a version: they never match by version, and their
      // `fixed` commit is no version to report. Such records match through their explicit `versions` list.
      if (range.type === 'GIT') continue;
      for (const e of range.events) if (e.fixed !== undefined) fixedIn.add(e.fixed);
      const scheme = range.type === 'SEMVER' ? SEMVER_SCHEME : range.type === 'ECOSYSTEM' ? ecoScheme : null;
      if (scheme === null) {
        if (range.type === 'ECOSYSTEM') degraded = true;
        continue;
      }
      const prepared = prepareRange(scheme, range.events);
      if (prepared === null) degraded = true;
      else ranges.push(prepared);
    }
    const { severity, cvss } = severityOf(record, affected);
    out.push({
      ecosystem,
      name: affected.package.name,
      purl: affected.package.purl,
      entry: {
        id: record.id,
        aliases: record.aliases ?? [],
        summary: record.summary,
        url: advisoryUrl(record),
        severity,
        cvss,
        informational: informationalOf(record, affected),
        fixedIn: [...fixedIn],
        platform: platformOf(affected),
        ranges,
        versions: new Set(affected.versions ?? []),
        degraded,
      },
    });
  }
  return out;
}
