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
}

export type RefreshOutcome = { status: 'updated'; version: string } | { status: 'not-modified'; version: string };

export type DatabaseState = 'NOT_READY' | 'OK' | 'WARN' | 'ERROR';

export interface VulnDatabaseStatus {
  state: DatabaseState;
  version: string | null;
  records: number;
  last_refresh: string | null;
  last_error: string | null;
}

export type SwapListener = (next: OsvDatabase, previous: OsvDatabase | null) => void;

interface PersistedMeta {
  etag: string | null;
  url: string;
  version: string;
  fetched_at: string;
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
  #current: OsvDatabase | null = null;
  #etag: string | null = null;
  #task: ScheduledTask | null = null;
  #inflight: Promise<RefreshOutcome> | null = null;
  #lastRefresh: string | null = null;
  #lastError: string | null = null;

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

  status(): VulnDatabaseStatus {
    const state: DatabaseState = this.#current === null ? (this.#lastError === null ? 'NOT_READY' : 'ERROR') : this.#lastError === null ? 'OK' : 'WARN';
    return {
      state,
      version: this.#current?.info.version ?? null,
      records: this.#current?.info.records ?? 0,
      last_refresh: this.#lastRefresh,
      last_error: this.#lastError,
    };
  }

  /** Starts the cron schedule (no-op without a URL). */
  start(): void {
    if (this.#options.url === undefined || this.#task !== null) return;
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
      this.#etag = await readFile(join(dir, META_FILE), 'utf8')
        .then((t) => (JSON.parse(t) as PersistedMeta).etag)
        .catch(() => null);
      this.#swap(db);
      this.#logger.info({ version: db.info.version, records: db.info.records }, 'vulnerability database restored from last good copy');
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#logger.warn({ err: messageOf(err) }, 'persisted vulnerability database is unusable; ignoring it');
      }
    }
    if (this.#options.initialPath !== undefined) {
      this.#swap(await loadOsvDatabase(this.#options.initialPath, this.#buildOptions()));
    }
  }

  #buildOptions(): { name: string; logger: Logger } {
    return { name: this.#options.name ?? 'osv', logger: this.#logger };
  }

  #swap(db: OsvDatabase): void {
    const previous = this.#current;
    this.#current = db;
    for (const l of this.#listeners) {
      try {
        l(db, previous);
      } catch (err) {
        this.#logger.error({ err: messageOf(err) }, 'vulnerability database swap listener failed');
      }
    }
  }

  async #refresh(): Promise<RefreshOutcome> {
    const url = this.#options.url;
    if (url === undefined) throw new VulnError('VULN_DB_REFRESH_ERROR', 'no vulnerability database URL is configured');
    try {
      const outcome = await this.#fetchAndSwap(url);
      this.#lastRefresh = new Date().toISOString();
      this.#lastError = null;
      return outcome;
    } catch (err) {
      this.#lastError = messageOf(err);
      this.#logger.warn({ url, err: this.#lastError }, 'vulnerability database refresh failed; keeping the active database');
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
    await this.#persist(bytes, { etag, url, version: db.info.version, fetched_at: new Date().toISOString() });
    this.#etag = etag;
    if (db.info.version !== this.version) this.#swap(db);
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
    const metaTmp = join(dir, `.${META_FILE}.${process.pid}.tmp`);
    await writeFile(metaTmp, JSON.stringify(meta, null, 2));
    await rename(metaTmp, join(dir, META_FILE));
  }
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
