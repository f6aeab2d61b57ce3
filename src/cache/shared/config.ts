import type { SharedCacheConfig } from '../../config/types.ts';

type Defaulted = 'key_prefix' | 'ttl_seconds' | 'decisions' | 'lock_ms' | 'wait_ms' | 'connect_timeout_ms' | 'command_timeout_ms' | 'max_backoff_ms';

/** `cache.shared` with every default filled in. */
export type ResolvedSharedCacheConfig = SharedCacheConfig & Required<Pick<SharedCacheConfig, Defaulted>>;

/** The schema's defaults, applied here: ajv does not inject defaults inside `anyOf: [null, {...}]`. */
export const SHARED_CACHE_DEFAULTS: Required<Pick<SharedCacheConfig, Defaulted>> = {
  key_prefix: 'wasmgate:', ttl_seconds: 3600, decisions: true, lock_ms: 5000, wait_ms: 400,
  connect_timeout_ms: 1000, command_timeout_ms: 100, max_backoff_ms: 5000,
};

export function withSharedDefaults(c: SharedCacheConfig): ResolvedSharedCacheConfig {
  return { ...SHARED_CACHE_DEFAULTS, ...c };
}
