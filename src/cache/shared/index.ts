import { readFileSync } from 'node:fs';
import { Counter, Histogram } from 'prom-client';
import type { Logger } from '../../common/logger.ts';
import type { SharedCacheConfig } from '../../config/types.ts';
import type { DecisionVersions } from '../../decide/cache.ts';
import type { Decider } from '../../decide/types.ts';
import type { Metrics } from '../../status/metrics.ts';
import type { StatusRegistry } from '../../status/registry.ts';
import { withSharedDecisions } from './decisions.ts';
import { withSharedDefaults } from './config.ts';
import { redactUrl } from '../../config/redact.ts';
import { createRedisStore } from './redis-store.ts';
import type { SharedStore } from './store.ts';
import { sharedScanner, sharedVerificationStore, type ResultOutcome, type Scanner } from './results.ts';
import type { VerificationStore } from '../../verify/cache.ts';

export type { SharedStore, SharedLock, SharedStoreState } from './store.ts';
export { withSharedDecisions } from './decisions.ts';
export { wrap, unwrap } from './envelope.ts';
export { sharedScanner, sharedVerificationStore, type Scanner } from './results.ts';

export interface SharedCache {
  store: SharedStore;
  /** wraps the pipeline so digest-pinned decisions are shared (a no-op when `decisions: false`) */
  wrap(inner: Decider, versions: () => DecisionVersions | null, defaultPath: string): Decider;
  /** the verification cache's store: `local` first, then the fleet's verified-evidence results (shared even with `decisions: false`) */
  verificationStore(local: VerificationStore | null): VerificationStore;
  /** vulnerability scans shared by SBOM content and DB version (shared even with `decisions: false`) */
  scanner(): Scanner;
  stats(): Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * Fleet mode (`cache.shared`): sidecars share verified-evidence results, vulnerability scans and (unless
 * `decisions: false`) digest-pinned decisions through Redis. Reports its state as the `shared_cache`
 * component (OK connected, WARN deciding locally) and in Prometheus (operations by result, latency).
 */
export function createSharedCache(written: SharedCacheConfig, deps: { logger: Logger; metrics: Metrics; status: StatusRegistry; resolvePath: (p: string) => string }): SharedCache {
  const c = withSharedDefaults(written);
  const ops = new Counter({ name: 'wasmgate_shared_cache_operations_total', help: 'Shared cache operations by operation and result (hit, miss, ok, acquired, busy, error, unavailable).', labelNames: ['op', 'result'], registers: [deps.metrics.registry] });
  const latency = new Histogram({ name: 'wasmgate_shared_cache_operation_duration_seconds', help: 'Latency of shared cache operations.', labelNames: ['op'], buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25], registers: [deps.metrics.registry] });
  const outcomes = new Counter({ name: 'wasmgate_shared_cache_decisions_total', help: 'Digest-pinned decisions by how the shared cache served them (hit, computed, waited_then_computed, invalid).', labelNames: ['outcome'], registers: [deps.metrics.registry] });
  const results = new Counter({ name: 'wasmgate_shared_cache_results_total', help: 'Shared verified-evidence results and vulnerability scans by kind (verification, scan) and outcome (hit, miss, invalid, stored).', labelNames: ['kind', 'outcome'], registers: [deps.metrics.registry] });
  const counts: Record<string, number> = {};
  const resultCounts: Record<string, Record<string, number>> = { verification: {}, scan: {} };
  const onResult = (kind: 'verification' | 'scan', o: ResultOutcome): void => {
    resultCounts[kind]![o] = (resultCounts[kind]![o] ?? 0) + 1;
    results.labels(kind, o).inc();
  };
  deps.status.register('shared_cache');
  const store = createRedisStore(c, deps.logger, {
    observe(op, result, seconds) {
      ops.labels(op, result).inc();
      if (result !== 'unavailable') latency.labels(op).observe(seconds);
    },
    onState(s) {
      deps.status.update('shared_cache', s.connected
        ? { state: 'OK', details: { url: redactUrl(c.url) } }
        : { state: 'WARN', message: `deciding locally: ${s.last_error ?? 'not connected'}`, details: { url: redactUrl(c.url) } });
    },
  }, deps.resolvePath);
  const integrityKey = c.integrity_key_file ? Buffer.from(readFileSync(deps.resolvePath(c.integrity_key_file), 'utf8').trim()) : null;
  return {
    store,
    wrap(inner, versions, defaultPath) {
      if (!c.decisions) return inner;
      return withSharedDecisions(inner, store, versions, {
        ttlSeconds: c.ttl_seconds, lockMs: c.lock_ms, waitMs: c.wait_ms, pollMs: 10, integrityKey, defaultPath,
        onOutcome: (o) => {
          counts[o] = (counts[o] ?? 0) + 1;
          outcomes.labels(o).inc();
        },
      });
    },
    verificationStore: (local) => sharedVerificationStore(local, store, { ttlSeconds: c.ttl_seconds, integrityKey, onOutcome: onResult }),
    scanner: () => sharedScanner(store, { ttlSeconds: c.ttl_seconds, integrityKey, onOutcome: onResult }),
    stats: () => ({ ...store.state(), decisions: { ...counts }, verification: { ...resultCounts.verification }, scan: { ...resultCounts.scan } }),
    close: () => store.close(),
  };
}
