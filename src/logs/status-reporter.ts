import { messageOf } from '../common/error.ts';
import type { Logger } from '../common/logger.ts';
import { createOpaConsoleLogger } from './console-sink.ts';
import type { ServiceConfig, StatusConfig } from '../config/types.ts';
import type { Metrics } from '../status/metrics.ts';
import type { StatusRegistry } from '../status/registry.ts';
import type { StatusSnapshot } from '../status/types.ts';
import { createServiceClient } from '../services/client.ts';

export interface StatusReporterOptions {
  config: StatusConfig;
  services: Record<string, ServiceConfig>;
  labels: Record<string, string>;
  registry: StatusRegistry;
  metrics?: Metrics;
  /** extra `decision_logs` facts for the event */
  decisionLogs?: () => Record<string, unknown> | undefined;
  logger: Logger;
  /** the console's logger (tests); default: pino on stdout with RFC 3339 time */
  consoleLogger?: Logger;
}

export interface StatusReporter {
  /** resolves when the latest status has been sent (or failed) */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** OPA's status event (v1/plugins/status/plugin.go UpdateRequestV1) for a snapshot. */
export async function statusEventV1(snap: StatusSnapshot, o: Pick<StatusReporterOptions, 'labels' | 'metrics' | 'decisionLogs' | 'config'>): Promise<Record<string, unknown>> {
  const event: Record<string, unknown> = { labels: o.labels, bundles: snap.bundles, plugins: snap.plugins };
  const dl = o.decisionLogs?.();
  if (dl !== undefined) event.decision_logs = dl;
  if (o.config.prometheus && o.metrics) event.metrics = { prometheus: await o.metrics.registry.getMetricsAsJSON() };
  return event;
}

/**
 * OPA's status plugin: on every status change (trigger periodic) the status event
 * is logged on the console (`status.console`) and/or POSTed as plain JSON to
 * `<service url>/status[/<partition_name>]` (`status.service`). Latest wins: a
 * change during an upload is sent after it. Failures are logged, never thrown.
 */
export function startStatusReporter(o: StatusReporterOptions): StatusReporter | null {
  const c = o.config;
  const svc = c.service !== undefined ? o.services[c.service] : undefined;
  if (!c.console && svc === undefined) return null;
  const consoleLog = c.console ? (o.consoleLogger ?? createOpaConsoleLogger()) : undefined;
  const url = svc ? `${svc.url.replace(/\/+$/, '')}/status${c.partition_name ? `/${c.partition_name}` : ''}` : undefined;
  let latest: StatusSnapshot | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  // the status service's one client: headers, TLS, bearer credentials
  const client = svc !== undefined ? createServiceClient(svc) : undefined;

  const send = async (): Promise<void> => {
    while (latest !== undefined) {
      const snap = latest;
      latest = undefined;
      const event = await statusEventV1(snap, o);
      consoleLog?.info({ ...event, type: 'openpolicyagent.org/status' }, 'Status Log');
      if (url === undefined || client === undefined) continue;
      try {
        const res = await client.request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(event),
          totalTimeoutMs: client.responseHeaderTimeoutMs || 10_000,
        });
        await res.body.dump().catch(() => undefined);
        if (res.statusCode < 200 || res.statusCode > 299) o.logger.warn({ status: res.statusCode, url }, 'status upload failed');
      } catch (err) {
        o.logger.warn({ err: messageOf(err), url }, 'status upload failed');
      }
    }
  };

  const kick = (): void => {
    running ??= send().finally(() => {
      running = undefined;
      if (latest !== undefined && !stopped) kick();
    });
  };

  const unsubscribe = o.registry.subscribe((snap) => {
    if (stopped) return;
    latest = snap;
    kick();
  });
  latest = o.registry.snapshot();
  kick();

  return {
    async flush() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      unsubscribe();
      while (running) await running;
      await client?.close();
    },
  };
}
