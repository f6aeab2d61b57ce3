import type { Logger } from '../common/logger.ts';
import type { WasmgateConfig } from '../config/types.ts';
import { createDecisionCache, withDecisionCache, type DecisionCache } from '../decide/cache.ts';
import { withAdmission } from '../decide/admission.ts';
import { withDeadline } from '../decide/deadline.ts';
import type { Decider } from '../decide/types.ts';
import { createDecisionLoggerFromConfig, instanceLabels, type DecisionLogger } from '../logs/decision-logger.ts';
import { createMetrics, type Metrics } from '../status/metrics.ts';
import { createStatusRegistry, type StatusRegistry } from '../status/registry.ts';
import { createApp, type WasmgateApp } from './app.ts';
import { startListeners, type BoundListener } from './transports/listeners.ts';
import { listenTargets } from './transports/targets.ts';
import type { ServerDeps } from './types.ts';
import type { Wire } from './wiring.ts';
import type { WasmcloudIntegrationConfig } from '../config/types.ts';
import { createGatekeeperRouter } from '../integrations/gatekeeper/index.ts';
import { startWasmcloudPolicyService, type WasmcloudPolicyOptions } from '../integrations/wasmcloud/index.ts';

/** integrations.wasmcloud (snake_case) → the adapter's options; unset keys keep the adapter's defaults. */
function toWasmcloudInput(c: WasmcloudIntegrationConfig): Partial<WasmcloudPolicyOptions> & { natsUrl: string } {
  return {
    natsUrl: c.nats_url,
    ...(c.policy_topic !== undefined && { policyTopic: c.policy_topic }),
    ...(c.changes_topic !== undefined && { changesTopic: c.changes_topic }),
    ...(c.invocation !== undefined && { invocation: c.invocation }),
    ...(c.deadline_ms !== undefined && { deadlineMs: c.deadline_ms }),
    ...(c.host_timeout_ms !== undefined && { hostTimeoutMs: c.host_timeout_ms }),
    ...(c.recheck_deadline_ms !== undefined && { recheckDeadlineMs: c.recheck_deadline_ms }),
    ...(c.max_cached_requests !== undefined && { maxCachedRequests: c.max_cached_requests }),
    ...(c.queue_group !== undefined && { queueGroup: c.queue_group }),
    ...(c.path !== undefined && { path: c.path }),
  };
}

export interface ServiceOptions {
  config: WasmgateConfig;
  wire: Wire;
  logger: Logger;
  version?: string;
  /** for socket activation (LISTEN_FDS); default process.env */
  env?: NodeJS.ProcessEnv;
  /** decision-log console sink logger (tests); default pino on stdout */
  consoleLogger?: Logger;
}

export interface RunningService {
  readonly addresses: readonly string[];
  readonly listeners: readonly BoundListener[];
  readonly app: WasmgateApp;
  readonly metrics: Metrics;
  readonly status: StatusRegistry;
  readonly decisionLog: DecisionLogger;
  readonly cache: DecisionCache;
  /** stop accepting, finish in-flight requests, flush decision logs, remove the socket */
  stop(): Promise<void>;
}

/** The composition: pipeline → cache → deadline (fail closed), the app, the listeners. */
export async function startService(o: ServiceOptions): Promise<RunningService> {
  const { config, logger } = o;
  const version = o.version ?? '0.1.0';
  const buckets = config.server.metrics.prom.http_request_duration_seconds.buckets;
  const metrics = createMetrics({ version, ...(buckets ? { httpBuckets: buckets } : {}) });
  const status = createStatusRegistry();
  status.register('server');
  const labels = instanceLabels(config.labels, version);
  const loggingOn = config.decision_logs.console || config.decision_logs.file !== null || config.decision_logs.service !== undefined;
  if (loggingOn) status.register('decision_logs');
  const decisionLog = createDecisionLoggerFromConfig({
    config: config.decision_logs, services: config.services, labels, metrics, status, logger,
    ...(o.consoleLogger ? { consoleLogger: o.consoleLogger } : {}),
  });
  status.subscribe((snap) => {
    metrics.pluginStatus.reset();
    for (const [name, s] of Object.entries(snap.plugins)) metrics.pluginStatus.labels(name, s.state).set(1);
  });

  const cache = createDecisionCache({
    ttlMs: config.decision.cache.ttl_seconds * 1000,
    maxEntries: config.decision.cache.max_entries,
    onLookup: (hit) => (hit ? metrics.cacheHits : metrics.cacheMisses).labels('decision').inc(),
  });
  const wiring = await o.wire({ config, metrics, status, logger, decisionCache: cache });
  wiring.onInvalidate?.(() => cache.invalidateAll());
  metrics.onCollect(() => metrics.cacheEntries.labels('decision').set(cache.stats().size));
  // cache misses take a slot of decision.admission; beyond its queue they are shed at once (deny: overloaded)
  const admitted = withAdmission(wiring.decider, {
    maxConcurrent: config.decision.admission.max_concurrent,
    maxQueued: config.decision.admission.max_queued,
    deadlineMs: config.decision.deadline_ms,
    onShed: (why) => metrics.decisionsShed.labels(why).inc(),
  });
  const decider: Decider = withDeadline(withDecisionCache(admitted, cache, () => wiring.versions(), config.decision.paths[0]), {
    deadlineMs: config.decision.deadline_ms,
    logger,
  });

  const gatekeeper = config.integrations.gatekeeper;
  const routes = gatekeeper.enabled
    ? [{ path: gatekeeper.path, handler: createGatekeeperRouter(decider, { deadlineMs: gatekeeper.deadline_ms, maxKeys: gatekeeper.max_keys, concurrency: gatekeeper.concurrency, logger }) }]
    : [];
  const deps: ServerDeps = {
    config, decider, bundles: wiring.bundles, status, metrics, decisionLog, logger, labels, version, routes,
    cacheStats: () => ({ decision: cache.stats(), admission: admitted.stats(), ...(wiring.cacheStats?.() ?? {}) }),
  };
  const app = createApp(deps);
  const listeners = await startListeners(listenTargets(config.listeners, o.env), app.listener, logger);
  // wasmCloud hosts ask over NATS; a bundle activation or DB swap re-decides what they cached.
  const wasmcloud = config.integrations.wasmcloud ? await startWasmcloudPolicyService(toWasmcloudInput(config.integrations.wasmcloud), decider, logger) : null;
  if (wasmcloud) {
    wiring.onInvalidate?.(() => {
      wasmcloud.onPolicyChange().catch((err: unknown) => logger.error({ err }, 'wasmCloud policy re-check failed'));
    });
  }
  status.update('server', { state: 'OK', details: { addresses: listeners.bound.map((b) => b.address) } });
  logger.info({ addresses: listeners.bound.map((b) => b.address) }, 'wasmgate is serving');

  let stopping: Promise<void> | undefined;
  return {
    addresses: listeners.bound.map((b) => b.address),
    listeners: listeners.bound,
    app, metrics, status, decisionLog, cache,
    stop() {
      stopping ??= (async () => {
        status.update('server', { state: 'NOT_READY', message: 'shutting down' });
        await listeners.close(config.server.shutdown_grace_ms);
        await wasmcloud?.stop();
        await decisionLog.stop(Math.min(5000, config.server.shutdown_grace_ms));
        await wiring.stop?.();
        logger.info('wasmgate stopped');
      })();
      return stopping;
    },
  };
}
