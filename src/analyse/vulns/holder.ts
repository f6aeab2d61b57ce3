import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { schedule as cronSchedule, validate as cronValidate, type ScheduledTask } from 'node-cron';
import { messageOf } from '../../common/error.ts';
import { createSilentLogger, type Logger } from '../../common/logger.ts';
import { buildOsvDatabase, entriesFromZip, loadOsvDatabase, type OsvDatabase } from './database.ts';
import { VulnError } from './error.ts';

export interface VulnDatabaseOptions {
  /** where the last good copy lives: `<persistenceDirectory>/vulns/` */
  persistenceDirectory: string;
  /** OSV export zip to fetch (e.g. https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip) */
  url?: string;
  /** node-cron expression for refreshes; default every 6 hours */
  schedule?: string;
  /** a directory or zip to use when nothing has been persisted yet */
  initialPath?: string;
  /** database name in reports; default "osv" */
  name?: string;
  /** refuse downloads larger than this; default 512 MiB */
  maxBytes?: number;
  /** per-download time bound; default 120 s */
  timeoutMs?: number;
  logger?: Logger;
  /** injected for tests; default the global fetch */
  fetch?: typeof fetch;
  /**
   * The oldest data that may decide (ms); null: no limit. Age is measured from when the data was last known
   * current: a download (200 or 304) for a refreshed database, else the newest record's `modified` time.
   */
  maxAgeMs?: number | null;
  /** injected for tests; default Date.now */
  now?: () => number;
}

/** Where the active data came from: a download of `url`, the persisted last good copy of one, or a file/directory. */
export type DatabaseOrigin = 'download' | 'last_good_copy' | 'file';

/** Why the active data may not decide (an evidence error: the decision denies). */
export interface DatabaseProblem {
  code: 'vulnerability_db_unavailable' | 'vulnerability_db_stale';
  message: string;
}

export type RefreshOutcome = { status: 'updated'; version: string } | { status: 'not-modified'; version: string };

export type DatabaseState = 'NOT_READY' | 'OK' | 'WARN' | 'ERROR';

export interface VulnDatabaseStatus {
  state: DatabaseState;
  /** the URL or path the active data came from; null before the first load */
  source: string | null;
  origin: DatabaseOrigin | null;
  version: string | null;
  records: number;
  /** newest `modified` among the records */
  built: string | null;
  /** when the active data was last known current (RFC 3339), the zero of `age_seconds` */
  as_of: string | null;
  age_seconds: number | null;
  max_age_seconds: number | null;
  /** true when the data is older than max_age */
  stale: boolean;
  last_refresh: string | null;
  last_error: string | null;
}

export type SwapListener = (next: OsvDatabase, previous: OsvDatabase | null) => void;

interface PersistedMeta {
  etag: string | null;
  url: string;
  version: string;
  fetched_at: string;
  /** last time the URL confirmed this copy (a 200 or a 304); absent in copies written before it existed */
  checked_at?: string;
}

const EXPORT_FILE = 'osv-export.zip';
const META_FILE = 'osv-export.json';

/**
 * Holds the active OSV database and refreshes it: a scheduled fetch of the
 * configured export URL with ETag (304 keeps the current one), full validation
 * of the download, then an atomic swap in memory and on disk (write-then-rename
 * of the last good copy). A failed refresh leaves the active database in place.
 */
export class VulnDatabase {
  readonly #options: VulnDatabaseOptions;
  readonly #logger: Logger;
  readonly #listeners = new Set<SwapListener>();
  readonly #changeListeners = new Set<() => void>();
  #current: OsvDatabase | null = null;
  #etag: string | null = null;
  #task: ScheduledTask | null = null;
  #inflight: Promise<RefreshOutcome> | null = null;
  #lastRefresh: string | null = null;
  #lastError: string | null = null;
  #asOf: number | null = null;
  #origin: DatabaseOrigin | null = null;
  #source: string | null = null;
  #meta: PersistedMeta | null = null;

  private constructor(options: VulnDatabaseOptions) {
    this.#options = options;
    this.#logger = options.logger ?? createSilentLogger();
  }

  /** Opens the holder: the persisted last good copy if there is one, else `initialPath`, else empty (NOT_READY). */
  static async open(options: VulnDatabaseOptions): Promise<VulnDatabase> {
    if (options.schedule !== undefined && !cronValidate(options.schedule)) {
      throw new VulnError('VULN_DB_REFRESH_ERROR', `vulnerability DB schedule "${options.schedule}" is not a valid cron expression`);
    }
    const holder = new VulnDatabase(options);
    await holder.#loadInitial();
    return holder;
  }

  get current(): OsvDatabase | null {
    return this.#current;
  }

  /** The active database's content version ("none" before the first load): part of the decision cache key. */
  get version(): string {
    return this.#current?.info.version ?? 'none';
  }

  /** Calls `listener` after every swap; returns the unsubscribe function. */
  onSwap(listener: SwapListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `listener` after anything `status()` reports changed (a swap, a refresh, its error); returns the unsubscribe function. */
  onStatusChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #notify(): void {
    for (const l of this.#changeListeners) {
      try {
        l();
      } catch (err) {
        this.#logger.error({ err: messageOf(err) }, 'vulnerability database status listener failed');
      }
    }
  }

  status(): VulnDatabaseStatus {
    const age = this.ageMs();
    const maxAge = this.#options.maxAgeMs ?? null;
    const stale = age !== null && maxAge !== null && age > maxAge;
    const state: DatabaseState =
      this.#current === null ? (this.#lastError === null ? 'NOT_READY' : 'ERROR') : stale ? 'ERROR' : this.#lastError === null ? 'OK' : 'WARN';
    return {
      state,
      source: this.#source,
      origin: this.#origin,
      version: this.#current?.info.version ?? null,
      records: this.#current?.info.records ?? 0,
      built: this.#current?.info.built || null,
      as_of: this.#asOf === null ? null : new Date(this.#asOf).toISOString(),
      age_seconds: age === null ? null : Math.floor(age / 1000),
      max_age_seconds: maxAge === null ? null : Math.floor(maxAge / 1000),
      stale,
      last_refresh: this.#lastRefresh,
      last_error: this.#lastError,
    };
  }

  /** How old the active data is (ms since it was last known current); null before the first load. */
  ageMs(): number | null {
    if (this.#asOf === null) return null;
    return Math.max(0, this.#now() - this.#asOf);
  }

  /** Why the active data may not decide now (none loaded, or older than max_age), or null when it may. */
  problem(): DatabaseProblem | null {
    if (this.#current === null) {
      const why = this.#lastError !== null ? `it could not be loaded: ${this.#lastError}` : this.#inflight !== null ? `its first download from ${this.#options.url ?? ''} is still running` : 'nothing has been loaded yet';
      return { code: 'vulnerability_db_unavailable', message: `no vulnerability database is active (${why}); wasmgate cannot tell whether the module has known vulnerabilities` };
    }
    const s = this.status();
    if (s.stale) {
      const refresh = this.#options.url !== undefined ? `the refresh from ${this.#options.url} has not succeeded since${this.#lastError ? ` (last error: ${this.#lastError})` : ''}` : `update ${this.#source ?? 'the database'} (a static source's age is its newest record's modified time)`;
      return {
        code: 'vulnerability_db_stale',
        message: `the vulnerability database is stale: its data is from ${s.as_of ?? '?'}, ${formatAge(s.age_seconds ?? 0)} old, over vulnerability_db.max_age (${formatAge(s.max_age_seconds ?? 0)}); ${refresh}`,
      };
    }
    return null;
  }

  /**
   * Starts the cron schedule (no-op without a URL). When nothing usable is loaded (none, or older than max_age),
   * a refresh starts at once; the returned promise settles when it is done (it never rejects).
   */
  start(): Promise<void> {
    if (this.#options.url === undefined || this.#task !== null) return Promise.resolve();
    this.#task = cronSchedule(
      this.#options.schedule ?? '0 */6 * * *',
      async () => {
        try {
          await this.refresh();
        } catch {
          // refresh() already logged and recorded the error; the active database stays.
        }
      },
      { noOverlap: true, name: 'wasmgate-osv-refresh' },
    );
    if (this.problem() === null) return Promise.resolve();
    return this.refresh().then(
      () => undefined,
      () => undefined, // recorded in last_error; decisions deny until a refresh succeeds
    );
  }

  async stop(): Promise<void> {
    const task = this.#task;
    this.#task = null;
    if (task !== null) await task.destroy();
    if (this.#inflight !== null) await this.#inflight.catch(() => undefined);
  }

  /** Fetches the export now (one fetch at a time; concurrent callers share it). */
  refresh(): Promise<RefreshOutcome> {
    if (this.#inflight === null) {
      this.#inflight = this.#refresh().finally(() => {
        this.#inflight = null;
      });
    }
    return this.#inflight;
  }

  #dir(): string {
    return join(this.#options.persistenceDirectory, 'vulns');
  }

  async #loadInitial(): Promise<void> {
    const dir = this.#dir();
    try {
      const bytes = await readFile(join(dir, EXPORT_FILE));
      const db = buildOsvDatabase(entriesFromZip(bytes), this.#buildOptions());
      const meta = await readFile(join(dir, META_FILE), 'utf8')
        .then((t) => JSON.parse(t) as PersistedMeta)
        .catch(() => null);
      this.#meta = meta;
      this.#etag = meta?.etag ?? null;
      const confirmed = Date.parse(meta?.checked_at ?? meta?.fetched_at ?? '');
      this.#swap(db, 'last_good_copy', meta?.url ?? join(dir, EXPORT_FILE), Number.isFinite(confirmed) ? confirmed : builtTime(db));
      this.#logger.info({ version: db.info.version, records: db.info.records }, 'vulnerability database restored from last good copy');
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#logger.warn({ err: messageOf(err) }, 'persisted vulnerability database is unusable; ignoring it');
      }
    }
    const path = this.#options.initialPath;
    if (path !== undefined) {
      try {
        const db = await loadOsvDatabase(path, this.#buildOptions());
        this.#swap(db, 'file', path, builtTime(db));
      } catch (err) {
        // fail closed, not down: decisions deny with this reason until a refresh (or a restart) loads data
        this.#lastError = messageOf(err);
        this.#logger.error({ path, err: this.#lastError }, 'vulnerability database could not be loaded; every decision will deny until it is');
      }
    }
  }

  #buildOptions(): { name: string; logger: Logger } {
    return { name: this.#options.name ?? 'osv', logger: this.#logger };
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #swap(db: OsvDatabase, origin: DatabaseOrigin, source: string, asOf: number | null): void {
    const previous = this.#current;
    this.#current = db;
    this.#origin = origin;
    this.#source = source;
    this.#asOf = asOf;
    for (const l of this.#listeners) {
      try {
        l(db, previous);
      } catch (err) {
        this.#logger.error({ err: messageOf(err) }, 'vulnerability database swap listener failed');
      }
    }
    this.#notify();
  }

  async #refresh(): Promise<RefreshOutcome> {
    const url = this.#options.url;
    if (url === undefined) throw new VulnError('VULN_DB_REFRESH_ERROR', 'no vulnerability database URL is configured');
    try {
      const outcome = await this.#fetchAndSwap(url);
      this.#lastRefresh = new Date(this.#now()).toISOString();
      this.#lastError = null;
      this.#notify();
      return outcome;
    } catch (err) {
      this.#lastError = messageOf(err);
      this.#logger.warn({ url, err: this.#lastError }, 'vulnerability database refresh failed; keeping the active database');
      this.#notify();
      throw err instanceof VulnError ? err : new VulnError('VULN_DB_REFRESH_ERROR', `refresh of ${url} failed: ${messageOf(err)}`, { cause: err });
    }
  }

  async #fetchAndSwap(url: string): Promise<RefreshOutcome> {
    const doFetch = this.#options.fetch ?? fetch;
    const headers: Record<string, string> = {};
    if (this.#etag !== null && this.#current !== null) headers['if-none-match'] = this.#etag;
    const res = await doFetch(url, { headers, signal: AbortSignal.timeout(this.#options.timeoutMs ?? 120_000), redirect: 'follow' });
    if (res.status === 304) {
      await res.body?.cancel();
      // the URL confirmed the active copy is current: its age starts again
      this.#asOf = this.#now();
      if (this.#meta !== null) {
        this.#meta = { ...this.#meta, checked_at: new Date(this.#asOf).toISOString() };
        await this.#writeMeta(this.#meta).catch((err: unknown) => this.#logger.warn({ err: messageOf(err) }, 'could not record the vulnerability database check time'));
      }
      this.#notify();
      return { status: 'not-modified', version: this.version };
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new VulnError('VULN_DB_REFRESH_ERROR', `GET ${url} answered HTTP ${res.status}; expected 200 or 304`);
    }
    const bytes = await readBounded(res, this.#options.maxBytes ?? 512 * 1024 * 1024, url);
    // Checks the download completely before anything changes: a corrupt or empty export throws here.
    const db = buildOsvDatabase(entriesFromZip(bytes), this.#buildOptions());
    const etag = res.headers.get('etag');
    const now = this.#now();
    const fetchedAt = new Date(now).toISOString();
    const meta: PersistedMeta = { etag, url, version: db.info.version, fetched_at: fetchedAt, checked_at: fetchedAt };
    await this.#persist(bytes, meta);
    this.#etag = etag;
    this.#meta = meta;
    if (db.info.version !== this.version) {
      this.#swap(db, 'download', url, now);
    } else {
      this.#asOf = now;
      this.#origin = 'download';
      this.#source = url;
      this.#notify();
    }
    return { status: 'updated', version: db.info.version };
  }

  // Writes the last good copy by write-then-rename, so a crash never leaves a half-written export.
  async #persist(bytes: Uint8Array, meta: PersistedMeta): Promise<void> {
    const dir = this.#dir();
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${EXPORT_FILE}.${process.pid}.tmp`);
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, join(dir, EXPORT_FILE));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await this.#writeMeta(meta);
  }

  async #writeMeta(meta: PersistedMeta): Promise<void> {
    const dir = this.#dir();
    const metaTmp = join(dir, `.${META_FILE}.${process.pid}.tmp`);
    await writeFile(metaTmp, JSON.stringify(meta, null, 2));
    await rename(metaTmp, join(dir, META_FILE));
  }
}

function builtTime(db: OsvDatabase): number | null {
  const t = Date.parse(db.info.built);
  return Number.isFinite(t) ? t : null;
}

/** 90061 → "1d 1h 1m" (seconds precision dropped above a minute). */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : ''].filter(Boolean).join(' ') || '0s';
}

async function readBounded(res: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? 'NaN');
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new VulnError('VULN_DB_REFRESH_ERROR', `${url} is ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  if (res.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new VulnError('VULN_DB_REFRESH_ERROR', `${url} exceeds the ${maxBytes}-byte limit`);
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
