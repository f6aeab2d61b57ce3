import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { unzipSync } from 'fflate';
import type { Logger } from '../../common/logger.ts';
import { createSilentLogger } from '../../common/logger.ts';
import { VulnError } from './error.ts';
import { normalizePackageName } from './ecosystems.ts';
import type { OsvRecord } from './osv-types.ts';
import { osvRecordProblem } from './osv-validate.ts';
import { prepareRecord, type AdvisoryEntry } from './prepare.ts';

/** Facts about a loaded database, as reported in `vulnerability_scan.database` and status. */
export interface OsvDatabaseInfo {
  name: string;
  /** newest `modified` time among the records (the data's freshness) */
  built: string;
  /** valid records loaded (withdrawn ones included) */
  records: number;
  /** content hash of the loaded records: part of the decision cache key */
  version: string;
  withdrawn: number;
  invalid: number;
  /** affected entries with a range wasmgate could not evaluate (unparseable bound / no comparator) */
  degraded: number;
  /** milliseconds spent validating and indexing */
  build_ms: number;
  loaded_at: string;
}

/** An immutable, indexed OSV database. */
export interface OsvDatabase {
  readonly info: OsvDatabaseInfo;
  /** advisory entries for a package (ecosystem as OSV spells it; name normalised here) */
  lookup(ecosystem: string, name: string): readonly AdvisoryEntry[];
  /** advisory entries whose affected package purl is this generic purl (no version) */
  lookupPurl(purl: string): readonly AdvisoryEntry[];
}

export interface LoadOptions {
  /** database name in reports; default "osv" */
  name?: string;
  logger?: Logger;
  /** refuse a source with more invalid than valid records (a corrupt download); default true */
  requireMostlyValid?: boolean;
}

interface RawEntry {
  name: string;
  bytes: Uint8Array;
}

const EMPTY: readonly AdvisoryEntry[] = Object.freeze([]);

function key(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${normalizePackageName(ecosystem, name)}`;
}

function stripPurl(purl: string): string {
  return purl.replace(/[?#].*$/, '').replace(/@[^/@]*$/, '');
}

// Hashes the entries in name order so a directory and its zip give the same version.
function contentVersion(entries: readonly RawEntry[]): string {
  const h = createHash('sha256');
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    h.update(e.name.replace(/^.*\//, ''));
    h.update('\u0000');
    h.update(e.bytes);
    h.update('\u0000');
  }
  return `sha256:${h.digest('hex')}`;
}

/**
 * Builds the index from raw JSON entries: each entry is parsed and validated
 * against the OSV schema (invalid ones are skipped and counted with a warning),
 * withdrawn records are counted but never indexed, and every range is parsed and
 * sorted once so matching only compares.
 */
export function buildOsvDatabase(entries: readonly RawEntry[], options: LoadOptions = {}): OsvDatabase {
  const logger = options.logger ?? createSilentLogger();
  const started = performance.now();
  const decoder = new TextDecoder();
  const byPackage = new Map<string, AdvisoryEntry[]>();
  const byPurl = new Map<string, AdvisoryEntry[]>();
  let records = 0;
  let invalid = 0;
  let withdrawn = 0;
  let degraded = 0;
  let built = '';
  for (const raw of entries) {
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(raw.bytes));
    } catch {
      invalid++;
      logger.warn({ entry: raw.name }, 'OSV entry is not JSON; skipped');
      continue;
    }
    const list = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const item of list) {
      const problem = osvRecordProblem(item);
      if (problem !== null) {
        invalid++;
        logger.warn({ entry: raw.name, problem }, 'OSV record fails the OSV schema; skipped');
        continue;
      }
      const record = item as OsvRecord;
      records++;
      if (record.modified > built) built = record.modified;
      if (record.withdrawn !== undefined) {
        withdrawn++;
        continue;
      }
      for (const { ecosystem, name, purl, entry } of prepareRecord(record)) {
        if (entry.degraded) degraded++;
        const k = key(ecosystem, name);
        let bucket = byPackage.get(k);
        if (bucket === undefined) byPackage.set(k, (bucket = []));
        bucket.push(entry);
        if (purl !== undefined && purl.startsWith('pkg:generic/')) {
          const pk = stripPurl(purl);
          let pb = byPurl.get(pk);
          if (pb === undefined) byPurl.set(pk, (pb = []));
          pb.push(entry);
        }
      }
    }
  }
  const mostlyValid = options.requireMostlyValid ?? true;
  if (records === 0 || (mostlyValid && invalid > records)) {
    throw new VulnError(
      'VULN_DB_EMPTY',
      `OSV source has ${records} valid and ${invalid} invalid records: point --db at an OSV export (a directory of OSV JSON files or an all.zip)`,
    );
  }
  if (invalid > 0) logger.warn({ invalid, records }, 'OSV database loaded with invalid records skipped');
  const info: OsvDatabaseInfo = {
    name: options.name ?? 'osv',
    built,
    records,
    version: contentVersion(entries),
    withdrawn,
    invalid,
    degraded,
    build_ms: Math.round((performance.now() - started) * 100) / 100,
    loaded_at: new Date().toISOString(),
  };
  return {
    info,
    lookup: (ecosystem, name) => byPackage.get(key(ecosystem, name)) ?? EMPTY,
    lookupPurl: (purl) => byPurl.get(stripPurl(purl)) ?? EMPTY,
  };
}

/** The JSON entries of an OSV export zip (the per-ecosystem `all.zip` layout: one record per file). */
export function entriesFromZip(bytes: Uint8Array): RawEntry[] {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name.endsWith('.json') });
  } catch (err) {
    throw new VulnError('VULN_DB_LOAD_ERROR', 'OSV export is not a readable zip archive: download it again', { cause: err });
  }
  return Object.entries(files).map(([name, data]) => ({ name, bytes: data }));
}

async function entriesFromDir(dir: string): Promise<RawEntry[]> {
  const out: RawEntry[] = [];
  const files = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const f of files) {
    if (!f.isFile() || !f.name.endsWith('.json')) continue;
    const full = join(f.parentPath, f.name);
    out.push({ name: relative(dir, full), bytes: await readFile(full) });
  }
  return out;
}

/** Loads an OSV database from a directory of OSV JSON files, an OSV export zip, or one JSON file. */
export async function loadOsvDatabase(path: string, options: LoadOptions = {}): Promise<OsvDatabase> {
  let entries: RawEntry[];
  try {
    const s = await stat(path);
    if (s.isDirectory()) entries = await entriesFromDir(path);
    else {
      const bytes = await readFile(path);
      const isZip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b;
      entries = isZip ? entriesFromZip(bytes) : [{ name: path, bytes }];
    }
  } catch (err) {
    if (err instanceof VulnError) throw err;
    throw new VulnError('VULN_DB_LOAD_ERROR', `cannot read OSV database at ${path}: check the path`, { cause: err });
  }
  return buildOsvDatabase(entries, options);
}

export type { RawEntry };
