/**
 * The seam between wasmgate and a shared cache: a few operations with deadlines, never throwing for cache
 * trouble (a failed or slow call is a miss). Redis is the implementation (redis-store.ts); tests may fake it.
 */
export interface SharedStore {
  /** the raw stored value, or null on a miss, an error or a timeout */
  get(key: string): Promise<string | null>;
  /** best effort */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** a lock with expiry for cross-process single flight: `busy` when another sidecar holds it, `unavailable` on cache trouble */
  lock(key: string, ttlMs: number): Promise<SharedLock | 'busy' | 'unavailable'>;
  state(): SharedStoreState;
  close(): Promise<void>;
}

export interface SharedLock {
  /** releases only if still ours (compare-and-delete) */
  release(): Promise<void>;
}

export interface SharedStoreState {
  connected: boolean;
  /** the last error, without credentials */
  last_error?: string;
}
