import { randomUUID } from 'node:crypto';
import type { Logger } from '../common/logger.ts';
import type { DecisionLogsConfig, ServiceConfig } from '../config/types.ts';
import type { Metrics } from '../status/metrics.ts';
import type { StatusRegistry } from '../status/registry.ts';
import { createConsoleSink } from './console-sink.ts';
import { createRedactor, type MaskRule } from './erase.ts';
import type { DecisionEventV1, DecisionLogRecord } from './event.ts';
import { createFileSink } from './file-sink.ts';
import { createHttpSink } from './http-sink.ts';
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
  /** records held before they are converted; beyond it they are dropped (and counted) */
  bufferLimit?: number;
  metrics?: Pick<Metrics, 'decisionLogsDroppedBufferSizeLimitExceeded' | 'decisionLogsEncodingFailure'>;
  logger?: Logger;
}

/** The instance labels OPA always injects: a per-process id and the version. */
export function instanceLabels(configLabels: Record<string, string>, version: string, id: string = randomUUID()): Record<string, string> {
  return { ...configLabels, id, version };
}

export function createDecisionLogger(options: DecisionLoggerOptions): DecisionLogger {
  const redact = createRedactor(options.erase ?? [], options.mask ?? []);
  const limit = options.bufferLimit ?? 10000;
  let pending: DecisionLogRecord[] = [];
  let scheduled = false;
  let dropped = 0;
  let logged = 0;
  const enabled = options.sinks.length > 0;

  const toEvent = (r: DecisionLogRecord): DecisionEventV1 => {
    const e: DecisionEventV1 = { labels: options.labels, decision_id: r.decision_id, path: r.path, timestamp: new Date(r.time).toISOString() };
    if (r.bundles) e.bundles = r.bundles;
    const red = redact('result' in r ? { input: r.input, result: r.result } : { input: r.input });
    if (r.input !== undefined) e.input = red.input;
    if (r.result !== undefined) e.result = red.result;
    if (red.erased.length > 0) e.erased = red.erased;
    if (red.masked.length > 0) e.masked = red.masked;
    if (r.error) e.error = r.error;
    if (r.requested_by) e.requested_by = r.requested_by;
    if (r.metrics) e.metrics = r.metrics;
    return e;
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
        events.push(toEvent(r));
      } catch (err) {
        options.metrics?.decisionLogsEncodingFailure.inc();
        options.logger?.warn({ err: String(err) }, 'a decision log event could not be encoded');
      }
    }
    logged += events.length;
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
      const bearer = (svc.credentials as { bearer?: { token?: string; token_path?: string; scheme?: string } } | undefined)?.bearer;
      const r = c.reporting;
      sinks.push(createHttpSink({
        url,
        ...(svc.headers ? { headers: svc.headers } : {}),
        ...(bearer ? { bearer } : {}),
        uploadSizeLimitBytes: r.upload_size_limit_bytes,
        bufferSizeLimitEvents: r.buffer_size_limit_events,
        ...(r.buffer_size_limit_bytes !== undefined ? { bufferSizeLimitBytes: r.buffer_size_limit_bytes } : {}),
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
    bufferLimit: c.reporting.buffer_size_limit_events,
    ...(o.metrics ? { metrics: o.metrics } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  });
}
