import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../common/logger.ts';
import { redactUrl } from '../../config/redact.ts';
import type { ResolvedSharedCacheConfig as SharedCacheConfig } from './config.ts';
import type { SharedLock, SharedStore, SharedStoreState } from './store.ts';

export interface RedisStoreHooks {
  /** one observation per operation: op (get/set/lock), result (hit/miss/ok/busy/error), seconds */
  observe(op: string, result: string, seconds: number): void;
  onState(state: SharedStoreState): void;
}

// Compare-and-delete: a lock is released only by the holder whose token it still carries.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";


function options(c: SharedCacheConfig, baseDir: (p: string) => string): RedisOptions {
  const password = c.password_file ? readFileSync(baseDir(c.password_file), 'utf8').trim() : (c.password ?? undefined);
  return {
    ...(c.username ? { username: c.username } : {}),
    ...(password ? { password } : {}),
    ...(c.tls ? { tls: { ...(c.tls.ca_cert ? { ca: readFileSync(baseDir(c.tls.ca_cert)) } : {}), ...(c.tls.server_name ? { servername: c.tls.server_name } : {}) } } : {}),
    connectTimeout: c.connect_timeout_ms,
    commandTimeout: c.command_timeout_ms,
    // fail fast while disconnected: the sidecar decides locally instead of queueing behind a dead cache
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    // reconnect with capped exponential backoff, forever
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), c.max_backoff_ms),
  };
}

/** The shared cache on Redis (or Valkey), through ioredis. */
export function createRedisStore(c: SharedCacheConfig, logger: Logger, hooks: RedisStoreHooks, resolvePath: (p: string) => string = (p) => p): SharedStore {
  const redis = new Redis(c.url, options(c, resolvePath));
  let state: SharedStoreState = { connected: false };
  const setState = (s: SharedStoreState): void => {
    state = s;
    hooks.onState(s);
  };
  redis.on('ready', () => {
    logger.info({ url: redactUrl(c.url) }, 'shared cache connected');
    setState({ connected: true });
  });
  redis.on('error', (err: Error) => {
    if (state.connected || state.last_error !== err.message) logger.warn({ url: redactUrl(c.url), err: err.message }, 'shared cache error: deciding locally until it is back');
    setState({ connected: redis.status === 'ready', last_error: err.message });
  });
  redis.on('end', () => setState({ connected: false, last_error: state.last_error ?? 'connection ended' }));
  redis.on('close', () => {
    if (state.connected) setState({ connected: false, last_error: 'connection closed' });
  });
  redis.connect().catch(() => undefined); // errors are reported by the 'error' event; reconnects go on

  const key = (k: string): string => `${c.key_prefix}${k}`;
  const timed = async <T>(op: string, fn: () => Promise<T>, result: (v: T) => string, fallback: T): Promise<T> => {
    const t0 = performance.now();
    if (redis.status !== 'ready') {
      hooks.observe(op, 'unavailable', 0);
      return fallback;
    }
    try {
      const v = await fn();
      hooks.observe(op, result(v), (performance.now() - t0) / 1000);
      return v;
    } catch (err) {
      hooks.observe(op, 'error', (performance.now() - t0) / 1000);
      const message = err instanceof Error ? err.message : String(err);
      if (state.last_error !== message) setState({ connected: redis.status === 'ready', last_error: message });
      return fallback;
    }
  };

  return {
    get: (k) => timed('get', () => redis.get(key(k)), (v) => (v === null ? 'miss' : 'hit'), null),
    set: (k, v, ttl) => timed('set', async () => {
      await redis.set(key(k), v, 'EX', ttl);
    }, () => 'ok', undefined),
    lock: (k, ttlMs) => timed<SharedLock | 'busy' | 'unavailable'>('lock', async () => {
      const token = randomUUID();
      const got = await redis.set(key(`lock:${k}`), token, 'PX', ttlMs, 'NX');
      if (got !== 'OK') return 'busy';
      return {
        release: async () => {
          await timed('unlock', () => redis.eval(RELEASE, 1, key(`lock:${k}`), token), () => 'ok', 0);
        },
      };
    }, (v) => (typeof v === 'string' ? v : 'acquired'), 'unavailable'),
    state: () => state,
    async close() {
      redis.disconnect(false);
    },
  };
}
