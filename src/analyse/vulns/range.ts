import { EVENT_FIXED, EVENT_INTRODUCED, ZERO, type AdvisoryEntry, type PreparedRange } from './prepare.ts';
import type { VersionScheme } from './versions/index.ts';

/**
 * OSV range semantics (osv-schema "Evaluation"): walk the events sorted by
 * version; `introduced` ≤ v turns "affected" on, `fixed` ≤ v turns it off,
 * `last_affected` < v turns it off. With `limit` events the version must also be
 * below at least one limit.
 */
export function rangeAffects(range: PreparedRange, v: unknown): boolean {
  const { scheme, events, limits } = range;
  if (limits.length > 0 && !limits.some((l) => scheme.compare(v, l) < 0)) return false;
  let affected = false;
  for (const e of events) {
    if (e.kind === EVENT_INTRODUCED) {
      if (e.version === ZERO || scheme.compare(v, e.version) >= 0) affected = true;
    } else if (e.kind === EVENT_FIXED) {
      if (scheme.compare(v, e.version) >= 0) affected = false;
    } else if (scheme.compare(v, e.version) > 0) {
      affected = false;
    }
  }
  return affected;
}

/** Per-component cache of the version parsed by each scheme. */
export type ParsedVersions = Map<VersionScheme, unknown>;

/** Does the advisory entry affect this exact version (explicit list first, then ranges)? */
export function entryAffects(entry: AdvisoryEntry, version: string, parsed: ParsedVersions): boolean {
  if (entry.versions.has(version)) return true;
  for (const range of entry.ranges) {
    let v = parsed.get(range.scheme);
    if (v === undefined) {
      v = range.scheme.parse(version);
      parsed.set(range.scheme, v);
    }
    if (v === null) continue; // the component's version does not parse in this scheme
    if (rangeAffects(range, v)) return true;
  }
  return false;
}
