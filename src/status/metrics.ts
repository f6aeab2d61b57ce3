import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { VERSION } from '../common/version.ts';

/** OPA's default buckets for http_request_duration_seconds. */
export const OPA_HTTP_BUCKETS = [1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 0.01, 0.1, 1];

/**
 * Every Prometheus metric wasmgate exposes, registered in one place. The
 * bundle lifecycle feeds the bundle_* metrics (OPA's names), the decision
 * logger its drop counters, registry clients `registry_request_duration_seconds`.
 */
export interface Metrics {
  readonly registry: Registry;
  /** labels: code, handler, method (lowercase), as OPA */
  readonly httpRequestDuration: Histogram<'code' | 'handler' | 'method'>;
  /** outcome: allow | deny | error */
  readonly decisions: Counter<'outcome'>;
  /** decisions shed by decision.admission; reason: queue_full (refused at once) | expired (waited past the deadline) */
  readonly decisionsShed: Counter<'reason'>;
  /** cache: decision | evidence */
  readonly cacheHits: Counter<'cache'>;
  readonly cacheMisses: Counter<'cache'>;
  readonly cacheEntries: Gauge<'cache'>;
  /** labels: event (queue_full: denied over the queue bound; worker_crashed: a worker died under an evaluation) */
  readonly evaluationPool: Counter<'event'>;
  /** labels: host, operation (manifest | blob | referrers | token | tags), outcome (ok | error) */
  readonly registryRequestDuration: Histogram<'host' | 'operation' | 'outcome'>;
  /** the active vulnerability database: records, age and max age (seconds; NaN when unknown), and an info gauge */
  readonly vulnerabilityDbRecords: Gauge;
  readonly vulnerabilityDbAge: Gauge;
  readonly vulnerabilityDbMaxAge: Gauge;
  readonly vulnerabilityDbInfo: Gauge<'source' | 'version' | 'state'>;
  readonly bundleLoaded: Counter<'name'>;
  readonly bundleFailedLoad: Counter<'name' | 'code' | 'message'>;
  /** Unix ns of the last successful activation */
  readonly lastSuccessBundleActivation: Gauge<'name' | 'active_revision'>;
  readonly bundleLoadingDuration: Histogram<'name' | 'stage'>;
  readonly pluginStatus: Gauge<'name' | 'status'>;
  readonly decisionLogsDroppedBufferSizeLimitExceeded: Counter;
  readonly decisionLogsDroppedBufferSizeLimitBytesExceeded: Counter;
  readonly decisionLogsEncodingFailure: Counter;
  readonly decisionLogsDroppedRateLimitExceeded: Counter;
  readonly decisionLogsUploadFailures: Counter;
  /** runs `fn` before each scrape (to set gauges such as cache sizes from their owners) */
  onCollect(fn: () => void): void;
}

export interface MetricsOptions {
  httpBuckets?: number[];
  /** process_* / nodejs_* defaults; off in unit tests */
  defaultMetrics?: boolean;
  version?: string;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const r = [registry];
  const collectors = new Set<() => void>();
  const info = new Gauge({ name: 'wasmgate_info', help: 'Information about the wasmgate build.', labelNames: ['version'], registers: r });
  info.labels(options.version ?? VERSION).set(1);
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'A histogram of duration for requests.',
      labelNames: ['code', 'handler', 'method'],
      buckets: options.httpBuckets ?? OPA_HTTP_BUCKETS,
      registers: r,
    }),
    decisions: new Counter({ name: 'wasmgate_decisions_total', help: 'Decisions answered, by outcome (allow, deny, error).', labelNames: ['outcome'], registers: r }),
    decisionsShed: new Counter({ name: 'wasmgate_decisions_shed_total', help: 'Uncached decisions not computed because decision.admission was full, by reason (queue_full, expired).', labelNames: ['reason'], registers: r }),
    cacheHits: new Counter({ name: 'wasmgate_cache_hits_total', help: 'Cache hits by cache.', labelNames: ['cache'], registers: r }),
    cacheMisses: new Counter({ name: 'wasmgate_cache_misses_total', help: 'Cache misses by cache.', labelNames: ['cache'], registers: r }),
    evaluationPool: new Counter({ name: 'wasmgate_evaluation_pool_events_total', help: 'Policy evaluation pool events: queue_full (denied over the queue bound), worker_crashed.', labelNames: ['event'], registers: r }),
    cacheEntries: new Gauge({
      name: 'wasmgate_cache_entries',
      help: 'Entries held, by cache.',
      labelNames: ['cache'],
      registers: r,
      collect() {
        for (const fn of collectors) fn();
      },
    }),
    registryRequestDuration: new Histogram({
      name: 'wasmgate_registry_request_duration_seconds',
      help: 'Latency of OCI registry requests.',
      labelNames: ['host', 'operation', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: r,
    }),
    vulnerabilityDbRecords: new Gauge({ name: 'wasmgate_vulnerability_db_records', help: 'Records in the active vulnerability database.', registers: r }),
    vulnerabilityDbAge: new Gauge({
      name: 'wasmgate_vulnerability_db_age_seconds',
      help: 'Age of the active vulnerability data: since its last successful download, or its newest record for a static source.',
      registers: r,
    }),
    vulnerabilityDbMaxAge: new Gauge({ name: 'wasmgate_vulnerability_db_max_age_seconds', help: 'vulnerability_db.max_age: older data denies every decision.', registers: r }),
    vulnerabilityDbInfo: new Gauge({
      name: 'wasmgate_vulnerability_db_info',
      help: 'The active vulnerability database (source, version, state OK|WARN|ERROR|NOT_READY).',
      labelNames: ['source', 'version', 'state'],
      registers: r,
    }),
    bundleLoaded: new Counter({ name: 'bundle_loaded_counter', help: 'Counter for the bundle loaded.', labelNames: ['name'], registers: r }),
    bundleFailedLoad: new Counter({ name: 'bundle_failed_load_counter', help: 'Counter for the bundle failed to load.', labelNames: ['name', 'code', 'message'], registers: r }),
    lastSuccessBundleActivation: new Gauge({
      name: 'last_success_bundle_activation',
      help: 'Last successful bundle activation (Unix ns).',
      labelNames: ['name', 'active_revision'],
      registers: r,
    }),
    bundleLoadingDuration: new Histogram({
      name: 'bundle_loading_duration_ns',
      help: 'Histogram for the bundle loading duration by stage.',
      labelNames: ['name', 'stage'],
      buckets: [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10],
      registers: r,
    }),
    pluginStatus: new Gauge({ name: 'plugin_status_gauge', help: 'Gauge for the plugin by status.', labelNames: ['name', 'status'], registers: r }),
    decisionLogsDroppedBufferSizeLimitExceeded: new Counter({
      name: 'decision_logs_dropped_buffer_size_limit_exceeded',
      help: 'Decision log events dropped because the buffer (events) was full.',
      registers: r,
    }),
    decisionLogsDroppedBufferSizeLimitBytesExceeded: new Counter({
      name: 'decision_logs_dropped_buffer_size_limit_bytes_exceeded',
      help: 'Decision log events dropped because the buffer (bytes) was full.',
      registers: r,
    }),
    decisionLogsEncodingFailure: new Counter({ name: 'decision_logs_encoding_failure', help: 'Decision log events that could not be encoded.', registers: r }),
    decisionLogsDroppedRateLimitExceeded: new Counter({
      name: 'decision_logs_dropped_rate_limit_exceeded',
      help: 'Decision log events dropped because decision_logs.reporting.max_decisions_per_second was exceeded.',
      registers: r,
    }),
    decisionLogsUploadFailures: new Counter({ name: 'wasmgate_decision_logs_upload_failures_total', help: 'Failed decision log upload attempts.', registers: r }),
    onCollect(fn) {
      collectors.add(fn);
    },
  };
}
