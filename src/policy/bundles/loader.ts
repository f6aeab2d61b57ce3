import { setTimeout as sleep } from 'node:timers/promises';
import { schedule as cronSchedule, validate as cronValidate, type ScheduledTask } from 'node-cron';
import { WasmgateError, messageOf } from '../../common/error.ts';
import type { Logger } from '../../common/logger.ts';
import type { BundleConfig } from '../../config/types.ts';
import type { LoadBundleOptions } from '../engine/engine.ts';
import { bundleError } from './error.ts';
import type { BundleMetrics } from './metrics.ts';
import { loadPersistedBundle, saveBundle } from './persist.ts';
import { prepareBundle, type PreparedBundle } from './prepare.ts';
import type { VerificationConfig } from './signatures.ts';
import type { BundleSource } from './sources/types.ts';
import { BundleStatusRecord } from './status.ts';

/** What a loader needs from its manager. */
export interface LoaderHost {
  /** roots of the other bundles' active revisions */
  otherRoots(name: string): ReadonlyMap<string, readonly string[]>;
  /** called after a swap, synchronously with it */
  activated(name: string, next: PreparedBundle, previous: PreparedBundle | null): void;
  /** called whenever the status changed */
  changed(name: string): void;
}

export interface LoaderOptions {
  name: string;
  config: BundleConfig;
  source: BundleSource;
  host: LoaderHost;
  metrics: BundleMetrics;
  logger: Logger;
  load: Omit<LoadBundleOptions, 'name'>;
  verification?: VerificationConfig;
  /** where the last good bundle is kept when config.persist is true */
  persistenceDirectory?: string;
  /** watch file sources for changes; default true */
  watch: boolean;
  debounceMs: number;
  random: () => number;
}

const MIN_RETRY_DELAY_MS = 100;
const DEFAULT_MIN_DELAY_S = 60;
const DEFAULT_MAX_DELAY_S = 120;

/**
 * One configured bundle's lifecycle (OPA's per-bundle loader): fetch from its
 * source when told to (poll loop, long poll, file watch, cron, manual trigger),
 * prepare (verify, validate, self-test), swap in, persist. A failure keeps the
 * active bundle and is recorded in status and metrics. Checks never overlap;
 * triggers during a check coalesce into one more check.
 */
export class BundleLoader {
  readonly name: string;
  readonly status: BundleStatusRecord;
  #current: PreparedBundle | null = null;
  #etag: string | undefined;
  #failures = 0;
  #longPolling = false;
  #queue: Promise<boolean> = Promise.resolve(true);
  #pending: Promise<boolean> | undefined;
  #abort = new AbortController();
  #stopped = false;
  #cron: ScheduledTask | undefined;
  #unwatch: (() => void) | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  readonly #o: LoaderOptions;

  constructor(options: LoaderOptions) {
    this.#o = options;
    this.name = options.name;
    this.status = new BundleStatusRecord(options.name);
    if (options.config.schedule !== undefined && !cronValidate(options.config.schedule)) {
      throw bundleError('BUNDLE_SOURCE_INVALID', `bundles.${options.name}.schedule ${JSON.stringify(options.config.schedule)} is not a valid cron expression; use e.g. "*/5 * * * *"`);
    }
  }

  get current(): PreparedBundle | null {
    return this.#current;
  }

  get source(): BundleSource {
    return this.#o.source;
  }

  /** Activates the persisted bundle (if any), runs the first check, then starts the configured triggers. */
  async start(): Promise<void> {
    await this.#loadPersisted();
    const { config, source } = this.#o;
    const periodic = config.trigger === 'periodic';
    if (config.schedule !== undefined) {
      this.#cron = cronSchedule(config.schedule, () => void this.check(), { name: `bundle-${this.name}`, noOverlap: true });
    }
    if (source.kind === 'file') {
      await this.check();
      if (this.#o.watch && periodic && source.watch !== undefined) this.#unwatch = source.watch(() => this.#changed());
    } else if (periodic && config.schedule === undefined) {
      const first = this.check();
      this.#loop = this.#pollLoop(first);
      await first;
    } else {
      await this.check();
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    clearTimeout(this.#debounce);
    this.#unwatch?.();
    await this.#cron?.destroy();
    await this.#loop?.catch(() => undefined);
    await this.#queue.catch(() => undefined);
    await this.#o.source.close?.();
  }

  /** Checks the source now (coalesced with a check already waiting); resolves true unless the request failed. */
  check(): Promise<boolean> {
    if (this.#pending !== undefined) return this.#pending;
    const next = this.#queue.then(() => {
      this.#pending = undefined;
      return this.#stopped ? true : this.#runCheck();
    });
    this.#pending = next;
    this.#queue = next;
    return next;
  }

  #changed(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.check(), this.#o.debounceMs);
    this.#debounce.unref();
  }

  async #pollLoop(first: Promise<boolean>): Promise<void> {
    let ok = await first;
    const polling = this.#o.config.polling ?? {};
    const minS = polling.min_delay_seconds ?? DEFAULT_MIN_DELAY_S;
    const maxS = polling.max_delay_seconds ?? DEFAULT_MAX_DELAY_S;
    while (!this.#stopped) {
      let delay: number;
      if (!ok) delay = Math.min(maxS * 1000, MIN_RETRY_DELAY_MS * 2 ** Math.min(this.#failures - 1, 30)) * (0.5 + this.#o.random() / 2);
      else if (this.#longPolling && polling.long_polling_timeout_seconds !== undefined) delay = 0; // the server holds the next request
      else delay = (minS + this.#o.random() * (maxS - minS)) * 1000;
      try {
        if (delay > 0) await sleep(delay, undefined, { signal: this.#abort.signal, ref: false });
      } catch {
        return;
      }
      ok = await this.check();
    }
  }

  async #runCheck(): Promise<boolean> {
    const { source, metrics } = this.#o;
    const at = new Date();
    this.status.setRequest(at);
    metrics.request(this.name, at);
    const t0 = process.hrtime.bigint();
    let result;
    try {
      result = await source.fetch(this.#etag, this.#abort.signal);
    } catch (err) {
      if (this.#stopped) return true;
      this.#failures++;
      this.#longPolling = false;
      this.#fail(err, 'download');
      return false;
    }
    this.#failures = 0;
    this.#longPolling = result.longPolling === true;
    const done = new Date();
    this.status.setRequestSuccess(done);
    metrics.requestSuccess(this.name, done);
    if (result.kind === 'not-modified') {
      this.status.clearError();
      this.#o.host.changed(this.name);
      return true;
    }
    this.status.setDownloadSuccess(done);
    metrics.download(this.name, done);
    metrics.duration(this.name, 'download', Number(process.hrtime.bigint() - t0));
    await this.#activate(result.bytes, 'source', result.etag);
    return true;
  }

  async #activate(bytes: Uint8Array, from: 'source' | 'persisted', etag: string | undefined): Promise<boolean> {
    const t0 = process.hrtime.bigint();
    let prepared: PreparedBundle;
    try {
      prepared = await prepareBundle(bytes, {
        ...this.#o.load,
        name: this.name,
        maxDecompressedBytes: this.#o.load.maxDecompressedBytes ?? this.#o.config.size_limit_bytes,
        otherRoots: this.#o.host.otherRoots(this.name),
        active: this.#current,
        ...(this.#o.verification !== undefined && { verification: this.#o.verification }),
      });
    } catch (err) {
      this.#fail(err, from === 'persisted' ? 'persisted bundle' : 'activation');
      return false;
    }
    if (this.#stopped) return false;
    // the swap: one synchronous reference change; decisions already running keep the old object
    const previous = this.#current;
    this.#current = prepared;
    this.#etag = etag;
    const at = new Date();
    this.status.setActivateSuccess(at, prepared.bundle.revision, prepared.size, from, prepared.signature.status, prepared.type);
    this.#o.metrics.loaded(this.name);
    this.#o.metrics.activated(this.name, prepared.bundle.revision, at);
    this.#o.metrics.duration(this.name, 'activate', Number(process.hrtime.bigint() - t0));
    this.#o.logger.info({ bundle: this.name, revision: prepared.bundle.revision, type: prepared.type, from, signature: prepared.signature.status }, 'bundle activated');
    try {
      this.#o.host.activated(this.name, prepared, previous);
    } finally {
      this.#o.host.changed(this.name);
    }
    // delta bundles are never persisted (OPA): the persisted snapshot stays the restart point
    if (from === 'source' && prepared.type === 'snapshot' && this.#o.config.persist && this.#o.persistenceDirectory !== undefined) {
      try {
        await saveBundle(this.#o.persistenceDirectory, this.name, bytes);
      } catch (err) {
        this.#o.logger.error({ bundle: this.name, err: messageOf(err) }, 'could not persist the bundle; a restart without its source will not have it');
      }
    }
    return true;
  }

  async #loadPersisted(): Promise<void> {
    if (!this.#o.config.persist || this.#o.persistenceDirectory === undefined) return;
    let bytes: Uint8Array | undefined;
    try {
      bytes = await loadPersistedBundle(this.#o.persistenceDirectory, this.name);
    } catch (err) {
      this.#fail(err, 'persisted bundle');
      return;
    }
    if (bytes !== undefined) await this.#activate(bytes, 'persisted', undefined);
  }

  #fail(err: unknown, stage: string): void {
    const code = WasmgateError.isWasmgateError(err) ? err.code : 'BUNDLE_ERROR';
    const httpCode = WasmgateError.isWasmgateError(err) && typeof err.details?.http_code === 'number' ? err.details.http_code : undefined;
    const message = messageOf(err);
    this.status.setError(code, message, httpCode);
    this.#o.metrics.failed(this.name, code, message);
    this.#o.logger.warn({ bundle: this.name, code, stage, source: this.#o.source.description, revision: this.#current?.bundle.revision }, `bundle ${stage} failed: ${message}`);
    this.#o.host.changed(this.name);
  }
}
