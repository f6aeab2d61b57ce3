import { createHash, randomUUID } from 'node:crypto';
import { stableStringify } from '../common/stable-json.ts';
import type { Logger } from '../common/logger.ts';
import type { DecisionLogsConfig, ServiceConfig } from '../config/types.ts';
import type { Metrics } from '../status/metrics.ts';
import type { StatusRegistry } from '../status/registry.ts';
import { createServiceClient } from '../services/client.ts';
import { createConsoleSink } from './console-sink.ts';
import { createRedactor, type MaskRule } from './erase.ts';
import type { DecisionEventV1, DecisionLogRecord } from './event.ts';
import { createFileSink } from './file-sink.ts';
import { createHttpSink } from './http-sink.ts';
import { applyMask, type LogPolicy } from './policy-mask.ts';
import type { DecisionLogSink } from './sink.ts';

export interface DecisionLogger {
  /** true when at least one sink is configured (otherwise `log` is a no-op) */
  readonly enabled: boolean;
  /** never blocks and never throws: the record is queued and turned into an event later */
  log(record: DecisionLogRecord): void;
  /** writes everything queued to the sinks and asks them to flush */
  flush(): Promise<void>;
  /** flushes until `graceMs` has passed, then closes the sinks */
  stop(graceMs?: number): Promise<void>;
  stats(): { queued: number; dropped: number; logged: number };
}

export interface DecisionLoggerOptions {
  labels: Record<string, string>;
  sinks: DecisionLogSink[];
  erase?: readonly string[];
  mask?: readonly MaskRule[];
  /** an evidence predicate whose JSON is longer is erased (its sha256 kept in custom.wasmgate.erased_predicates); undefined or 0: no cap */
  maxPredicateBytes?: number;
  /** records held before they are converted; beyond it they are dropped (and counted) */
  bufferLimit?: number;
  /** OPA's reporting.max_decisions_per_second: beyond it events are dropped (and counted) */
  maxDecisionsPerSecond?: number | null;
  /** OPA's nd_builtin_cache: log the non-deterministic builtin values the policy used */
  ndBuiltinCache?: boolean;
  /** OPA's request_context.http.headers: the request headers copied into each event */
  requestContextHeaders?: readonly string[];
  /** mask_decision / drop_decision, evaluated on the active bundle */
  policy?: LogPolicy;
  metrics?: Pick<Metrics, 'decisionLogsDroppedBufferSizeLimitExceeded' | 'decisionLogsEncodingFailure'> & Partial<Pick<Metrics, 'decisionLogsDroppedRateLimitExceeded'>>;
  logger?: Logger;
  now?: () => number;
}

/** The instance labels OPA always injects: a per-process id and the version. */
export function instanceLabels(configLabels: Record<string, string>, version: string, id: string = randomUUID()): Record<string, string> {
  return { ...configLabels, id, version };
}

/** The evidence lists of input v1 whose items carry a `predicate`. */
const EVIDENCE_LISTS = ['signatures', 'sbom_attestations', 'provenance_attestations', 'other_attestations'] as const;
const PREDICATE_POINTER = /^\/input\/(signatures|sbom_attestations|provenance_attestations|other_attestations)\/(\d+)\/predicate$/;

interface Measured {
  bytes: number;
  sha256: string;
}

/** sha256 of a predicate's canonical JSON: what `wasmgate replay` checks a re-fetched predicate against. */
export function predicateDigest(predicate: unknown): string {
  return `sha256:${createHash('sha256').update(stableStringify(predicate)).digest('hex')}`;
}

export function createDecisionLogger(options: DecisionLoggerOptions): DecisionLogger {
  const redact = createRedactor(options.erase ?? [], options.mask ?? []);
  const limit = options.bufferLimit ?? 10000;
  const cap = options.maxPredicateBytes ?? 0;
  const now = options.now ?? Date.now;
  const rate = options.maxDecisionsPerSecond ?? null;
  const headerNames = options.requestContextHeaders ?? [];
  let pending: DecisionLogRecord[] = [];
  let scheduled = false;
  let dropped = 0;
  let logged = 0;
  let tokens = rate ?? 0;
  let refilled = now();
  const enabled = options.sinks.length > 0;
  // predicates are shared between cached decisions: measured once per object
  const measured = new WeakMap<object, Measured>();
  const measure = (p: unknown): Measured => {
    const key = typeof p === 'object' && p !== null ? p : undefined;
    const known = key ? measured.get(key) : undefined;
    if (known) return known;
    const text = stableStringify(p);
    const m = { bytes: Buffer.byteLength(text), sha256: `sha256:${createHash('sha256').update(text).digest('hex')}` };
    if (key) measured.set(key, m);
    return m;
  };

  // OPA's rate limiter: a token bucket refilled at max_decisions_per_second, burst of one second.
  const admit = (): boolean => {
    if (rate === null) return true;
    const t = now();
    tokens = Math.min(rate, tokens + ((t - refilled) / 1000) * rate);
    refilled = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  // Erases predicates over the cap (copy on write), returning the pointers erased.
  const capPredicates = (input: unknown): { input: unknown; erased: string[] } => {
    if (cap <= 0 || typeof input !== 'object' || input === null) return { input, erased: [] };
    const src = input as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    const erased: string[] = [];
    for (const list of EVIDENCE_LISTS) {
      const items = src[list];
      if (!Array.isArray(items)) continue;
      let copy: unknown[] | undefined;
      items.forEach((item: unknown, i) => {
        if (typeof item !== 'object' || item === null || !('predicate' in item)) return;
        const pred = (item as { predicate: unknown }).predicate;
        if (pred === undefined || measure(pred).bytes <= cap) return;
        copy ??= [...items];
        const { predicate: _p, ...rest } = item as Record<string, unknown>;
        copy[i] = rest;
        erased.push(`/input/${list}/${i}/predicate`);
      });
      if (copy) (out ??= { ...src })[list] = copy;
    }
    return { input: out ?? input, erased };
  };

  // The sha256 of every erased predicate, read from the unredacted input.
  const predicateDigests = (input: unknown, erased: readonly string[]): Record<string, string> | undefined => {
    let out: Record<string, string> | undefined;
    for (const ptr of erased) {
      const m = PREDICATE_POINTER.exec(ptr);
      if (!m) continue;
      const item = ((input as Record<string, unknown[]>)[m[1]!] ?? [])[Number(m[2])] as { predicate?: unknown } | undefined;
      if (item?.predicate !== undefined) (out ??= {})[ptr] = measure(item.predicate).sha256;
    }
    return out;
  };

  const requestContext = (headers: DecisionLogRecord['headers']): DecisionEventV1['request_context'] | undefined => {
    if (headerNames.length === 0 || headers === undefined) return undefined;
    const out: Record<string, string[]> = {};
    for (const name of headerNames) {
      const v = headers[name.toLowerCase()];
      if (v !== undefined) out[name] = Array.isArray(v) ? [...v] : [v];
    }
    return { http: { headers: out } };
  };

  const toEvent = (r: DecisionLogRecord): DecisionEventV1 | null => {
    const e: DecisionEventV1 = { labels: options.labels, decision_id: r.decision_id, timestamp: new Date(r.time).toISOString() };
    if (r.bundles) e.bundles = r.bundles;
    const path = r.path.replace(/^\/+|\/+$/g, '');
    if (path !== '') e.path = path;
    const red = redact('result' in r ? { input: r.input, result: r.result } : { input: r.input });
    const capped = capPredicates(red.input);
    const erased = [...red.erased, ...capped.erased];
    if (r.input !== undefined) e.input = capped.input;
    if (r.result !== undefined) e.result = red.result;
    if (options.ndBuiltinCache) e.nd_builtin_cache = {};
    if (erased.length > 0) e.erased = erased;
    if (red.masked.length > 0) e.masked = red.masked;
    if (r.error) e.error = r.error;
    if (r.requested_by) e.requested_by = r.requested_by;
    if (r.metrics) e.metrics = r.metrics;
    if (r.req_id !== undefined) e.req_id = r.req_id;
    const rc = requestContext(r.headers);
    if (rc) e.request_context = rc;
    const digests = erased.length > 0 && r.input !== undefined ? predicateDigests(r.input, erased) : undefined;
    if (r.wasmgate || digests) {
      e.custom = { wasmgate: { ...r.wasmgate, ...(digests ? { erased_predicates: digests } : {}) } };
    }
    const policy = options.policy;
    if (policy?.drop?.(e) === true) return null;
    return policy?.mask ? applyMask(e, policy.mask(e)) : e;
  };

  // Converts and hands off everything queued; runs after the answers went out.
  const drain = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const events: DecisionEventV1[] = [];
    for (const r of batch) {
      try {
        const e = toEvent(r);
        if (e !== null) events.push(e);
      } catch (err) {
        // an event that cannot be built or masked is never written unmasked
        options.metrics?.decisionLogsEncodingFailure.inc();
        options.logger?.warn({ err: String(err), decision_id: r.decision_id }, 'a decision log event could not be encoded or masked: dropped');
      }
    }
    logged += events.length;
    if (events.length === 0) return;
    for (const s of options.sinks) {
      try {
        s.write(events);
      } catch (err) {
        options.logger?.warn({ err: String(err), sink: s.name }, 'a decision log sink failed');
      }
    }
  };

  return {
    enabled,
    log(record) {
      if (!enabled) return;
      if (!admit()) {
        dropped++;
        options.metrics?.decisionLogsDroppedRateLimitExceeded?.inc();
        return;
      }
      if (pending.length >= limit) {
        dropped++;
        options.metrics?.decisionLogsDroppedBufferSizeLimitExceeded.inc();
        return;
      }
      pending.push(record);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    async flush() {
      drain();
      await Promise.all(options.sinks.map((s) => s.flush()));
    },
    async stop(graceMs = 5000) {
      drain();
      const deadline = Date.now() + graceMs;
      await Promise.all(options.sinks.map((s) => s.close(deadline)));
    },
    stats() {
      return { queued: pending.length, dropped, logged };
    },
  };
}

export interface DecisionLoggerFromConfig {
  config: DecisionLogsConfig;
  services: Record<string, ServiceConfig>;
  labels: Record<string, string>;
  metrics?: Metrics;
  status?: StatusRegistry;
  logger?: Logger;
  /** console sink logger (tests); default: pino on stdout */
  consoleLogger?: Logger;
  /** the top-level nd_builtin_cache key */
  ndBuiltinCache?: boolean;
  /** mask_decision / drop_decision over the active bundle (see createBundleLogPolicy) */
  policy?: LogPolicy;
}

/** Builds the sinks named by `decision_logs` (console, file, service) and the logger over them. */
export function createDecisionLoggerFromConfig(o: DecisionLoggerFromConfig): DecisionLogger {
  const c = o.config;
  const sinks: DecisionLogSink[] = [];
  const dropMetric = o.metrics?.decisionLogsDroppedBufferSizeLimitExceeded;
  if (c.console) sinks.push(createConsoleSink(o.consoleLogger));
  if (c.file) {
    sinks.push(createFileSink({ path: c.file, onDrop: (n) => dropMetric?.inc(n), onError: (err) => o.status?.update('decision_logs', { state: 'ERROR', message: `cannot write ${c.file}: ${err.message}` }) }));
  }
  if (c.service !== undefined) {
    const svc = o.services[c.service];
    if (svc) {
      const base = svc.url.replace(/\/+$/, '');
      const resource = c.resource.startsWith('/') ? c.resource : `/${c.resource}`;
      const url = `${base}${resource}${c.partition_name ? `/${c.partition_name}` : ''}`;
      const r = c.reporting;
      sinks.push(createHttpSink({
        url,
        // the service's one client: headers, TLS, bearer credentials
        client: createServiceClient(svc),
        uploadSizeLimitBytes: r.upload_size_limit_bytes,
        // OPA's buffer_type: `event` bounds the count, `size` the bytes (unbounded when buffer_size_limit_bytes is unset)
        bufferSizeLimitEvents: r.buffer_type === 'event' ? r.buffer_size_limit_events : Number.POSITIVE_INFINITY,
        ...(r.buffer_type === 'size' && r.buffer_size_limit_bytes !== undefined ? { bufferSizeLimitBytes: r.buffer_size_limit_bytes } : {}),
        trigger: r.trigger,
        minDelayMs: (r.min_delay_seconds ?? 300) * 1000,
        maxDelayMs: (r.max_delay_seconds ?? 600) * 1000,
        timeoutMs: svc.response_header_timeout_seconds * 1000 || 10_000,
        onDropped: (n, why) => (why === 'bytes' ? o.metrics?.decisionLogsDroppedBufferSizeLimitBytesExceeded : dropMetric)?.inc(n),
        onEncodingFailure: (n) => o.metrics?.decisionLogsEncodingFailure.inc(n),
        onUploadResult: (ok, d) => {
          if (!ok) o.metrics?.decisionLogsUploadFailures.inc();
          o.status?.update('decision_logs', ok ? { state: 'OK' } : { state: 'ERROR', message: d.message ?? 'upload failed', details: { code: 'decision_log_error', ...(d.http_code ? { http_code: d.http_code } : {}) } });
        },
        ...(o.logger ? { logger: o.logger } : {}),
      }));
    }
  }
  if (sinks.length > 0) o.status?.update('decision_logs', { state: 'OK' });
  return createDecisionLogger({
    labels: o.labels,
    sinks,
    erase: c.erase,
    mask: c.mask,
    maxPredicateBytes: c.max_predicate_bytes,
    bufferLimit: c.reporting.buffer_type === 'event' ? c.reporting.buffer_size_limit_events : 10000,
    maxDecisionsPerSecond: c.reporting.max_decisions_per_second ?? null,
    ndBuiltinCache: o.ndBuiltinCache ?? false,
    requestContextHeaders: c.request_context?.http?.headers ?? [],
    ...(o.policy ? { policy: o.policy } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  });
}
