import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { schedule as cronSchedule, validate as cronValidate, type ScheduledTask } from 'node-cron';
import { messageOf } from '../../common/error.ts';
import type { Logger } from '../../common/logger.ts';
import { resolveConfigPath } from '../../common/paths.ts';
import { VerifyError } from '../error.ts';
import { parseTrustedRoot } from './roots.ts';

/**
 * `trust.tuf`: refresh the Sigstore public-good trusted root over TUF (sigstore's
 * `trusted_root.json` target, verified by tuf-js from the TUF root chain). The shipped
 * copy stays the offline fallback; a root that fails TUF verification (or wasmgate's own
 * trusted-root checks) is never swapped in.
 */
export interface TufSettings {
  /** the TUF repository; default Sigstore's https://tuf-repo-cdn.sigstore.dev */
  mirror: string;
  /** where verified TUF metadata and targets are kept between refreshes (absolute) */
  cacheDir: string;
  /** the initial TUF root.json (absolute); default the root @sigstore/tuf embeds for Sigstore's mirror */
  root?: string;
  /** node-cron expression; default every 6 hours */
  schedule: string;
  timeoutMs: number;
}

export const TUF_DEFAULT_SCHEDULE = '0 */6 * * *';
/** Sigstore's TUF mirror (@sigstore/tuf's DEFAULT_MIRROR_URL; its initial root is embedded there) */
export const DEFAULT_MIRROR_URL = 'https://tuf-repo-cdn.sigstore.dev';
export const TRUSTED_ROOT_TARGET = 'trusted_root.json';
const KEYS = ['mirror', 'cache_dir', 'root', 'schedule', 'timeout_ms'];

function fail(message: string): never {
  throw new VerifyError('TRUST_CONFIG_INVALID', message);
}

/** Validates `trust.tuf` (undefined when absent); relative paths resolve from `baseDir`. */
export function tufSettingsFromConfig(trust: unknown, baseDir: string): TufSettings | undefined {
  if (typeof trust !== 'object' || trust === null) return undefined;
  const raw = (trust as Record<string, unknown>).tuf;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('trust.tuf: must be a mapping {mirror, cache_dir, root, schedule, timeout_ms}');
  const t = raw as Record<string, unknown>;
  for (const k of Object.keys(t)) if (!KEYS.includes(k)) fail(`trust.tuf.${k}: unknown key; allowed: ${KEYS.join(', ')}`);
  const mirror = t.mirror ?? DEFAULT_MIRROR_URL;
  if (typeof mirror !== 'string' || !/^https?:\/\/[^/]/.test(mirror)) fail(`trust.tuf.mirror: ${JSON.stringify(mirror)} must be an http(s) URL of a TUF repository`);
  if (typeof t.cache_dir !== 'string' || t.cache_dir === '') fail('trust.tuf.cache_dir: required, a directory wasmgate may write (verified TUF metadata is kept there)');
  if (t.root !== undefined && (typeof t.root !== 'string' || t.root === '')) fail('trust.tuf.root: must be the path of the TUF repository\'s initial root.json');
  if (t.root === undefined && mirror.replace(/\/$/, '') !== DEFAULT_MIRROR_URL) fail(`trust.tuf.root: required for the mirror ${mirror} (only Sigstore's own mirror has an embedded initial root)`);
  const schedule = t.schedule ?? TUF_DEFAULT_SCHEDULE;
  if (typeof schedule !== 'string' || !cronValidate(schedule)) fail(`trust.tuf.schedule: ${JSON.stringify(schedule)} is not a valid cron expression`);
  const timeoutMs = t.timeout_ms ?? 10_000;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 300_000) fail('trust.tuf.timeout_ms: must be an integer from 100 to 300000');
  return {
    mirror: mirror.replace(/\/$/, ''),
    cacheDir: resolveConfigPath(baseDir, t.cache_dir),
    ...(typeof t.root === 'string' && { root: resolveConfigPath(baseDir, t.root) }),
    schedule,
    timeoutMs,
  };
}

export interface TufTrustedRoot {
  root: TrustedRoot;
  /** sha256 of the trusted_root.json target's bytes */
  sha256: string;
  /** the TUF root metadata version the target was verified under */
  tufRootVersion: number;
}

/**
 * One TUF refresh: tuf-js updates root (following rotations), timestamp, snapshot and targets from the
 * mirror, verifying every signature, threshold, version and expiry, and downloads the trusted root target
 * checked against its hash. Any failure throws; nothing unverified is returned.
 */
export async function fetchTrustedRootOverTuf(settings: TufSettings): Promise<TufTrustedRoot> {
  let text: string;
  try {
    // loaded on first use: tuf-js and its fetch stack cost every CLI start otherwise
    const { initTUF } = await import('@sigstore/tuf');
    const client = await initTUF({
      mirrorURL: settings.mirror,
      cachePath: settings.cacheDir,
      ...(settings.root !== undefined && { rootPath: settings.root }),
      timeout: settings.timeoutMs,
      retry: { retries: 1 },
    });
    text = await client.getTarget(TRUSTED_ROOT_TARGET);
  } catch (err) {
    throw new VerifyError('TUF_REFRESH_FAILED', `TUF refresh from ${settings.mirror} failed: ${messageOf(err)}`, { cause: err });
  }
  const root = parseTrustedRoot(text, `${TRUSTED_ROOT_TARGET} from TUF ${settings.mirror}`);
  const url = new URL(settings.mirror);
  // @sigstore/tuf keeps each mirror's metadata under its encoded host+path; root.json is the newest verified root
  const dir = join(settings.cacheDir, encodeURIComponent(url.host + url.pathname.replace(/\/$/, '')));
  const tufRoot = JSON.parse(await readFile(join(dir, 'root.json'), 'utf8')) as { signed?: { version?: unknown } };
  const version = tufRoot.signed?.version;
  if (typeof version !== 'number') throw new VerifyError('TUF_REFRESH_FAILED', `TUF cache ${dir}/root.json has no version`);
  return { root, sha256: createHash('sha256').update(text).digest('hex'), tufRootVersion: version };
}

export interface TufRootStatus {
  /** `tuf`: the refreshed root is in use; `shipped`: the copy shipped with wasmgate (no refresh succeeded yet) */
  source: 'tuf' | 'shipped';
  mirror: string;
  tuf_root_version: number | null;
  trusted_root_sha256: string | null;
  last_refresh: string | null;
  last_error: string | null;
}

export interface TufRootRefresherOptions {
  settings: TufSettings;
  logger: Logger;
  /** called with each newly verified trusted root whose bytes differ from the one in use */
  onRoot(root: TufTrustedRoot): void;
  /** called after every refresh attempt, good or failed (status reporting) */
  onRefreshed?: () => void;
  /** the refresh itself (tests); default fetchTrustedRootOverTuf */
  fetch?: (settings: TufSettings) => Promise<TufTrustedRoot>;
}

/** Refreshes on start and on the schedule; keeps the last good root when a refresh fails. */
export class TufRootRefresher {
  readonly #o: TufRootRefresherOptions;
  #task: ScheduledTask | null = null;
  #inflight: Promise<boolean> | null = null;
  #status: TufRootStatus;

  constructor(options: TufRootRefresherOptions) {
    this.#o = options;
    this.#status = { source: 'shipped', mirror: options.settings.mirror, tuf_root_version: null, trusted_root_sha256: null, last_refresh: null, last_error: null };
  }

  status(): TufRootStatus {
    return { ...this.#status };
  }

  /** One refresh now (concurrent callers share it); true when a new root was swapped in. */
  refresh(): Promise<boolean> {
    this.#inflight ??= this.#refresh().finally(() => {
      this.#inflight = null;
      this.#o.onRefreshed?.();
    });
    return this.#inflight;
  }

  async #refresh(): Promise<boolean> {
    const fetch = this.#o.fetch ?? fetchTrustedRootOverTuf;
    let got: TufTrustedRoot;
    try {
      got = await fetch(this.#o.settings);
    } catch (err) {
      this.#status = { ...this.#status, last_error: messageOf(err) };
      this.#o.logger.warn({ mirror: this.#o.settings.mirror, err: messageOf(err), source: this.#status.source }, 'trusted root refresh over TUF failed; keeping the trusted root in use');
      return false;
    }
    const changed = got.sha256 !== this.#status.trusted_root_sha256;
    if (changed) {
      try {
        this.#o.onRoot(got);
      } catch (err) {
        this.#status = { ...this.#status, last_error: messageOf(err) };
        this.#o.logger.warn({ mirror: this.#o.settings.mirror, err: messageOf(err) }, 'trusted root from TUF refused; keeping the trusted root in use');
        return false;
      }
    }
    this.#status = { source: 'tuf', mirror: this.#o.settings.mirror, tuf_root_version: got.tufRootVersion, trusted_root_sha256: got.sha256, last_refresh: new Date().toISOString(), last_error: null };
    if (changed) {
      this.#o.logger.info({ mirror: this.#o.settings.mirror, tuf_root_version: got.tufRootVersion, trusted_root_sha256: got.sha256 }, 'trusted root refreshed over TUF');
    }
    return changed;
  }

  /** Refreshes now (in the background) and then on the schedule. */
  start(): void {
    if (this.#task !== null) return;
    void this.refresh();
    this.#task = cronSchedule(this.#o.settings.schedule, async () => { await this.refresh(); }, { noOverlap: true, name: 'wasmgate-tuf-refresh' });
  }

  async stop(): Promise<void> {
    const task = this.#task;
    this.#task = null;
    if (task !== null) await task.destroy();
    if (this.#inflight !== null) await this.#inflight.catch(() => undefined);
  }
}
