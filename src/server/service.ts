import type { RequestHandler } from 'express';
import type { Logger } from '../common/logger.ts';
import type { WasmgateConfig } from '../config/types.ts';
import { configHash, createDecisionCache, withDecisionCache, type DecisionCache } from '../decide/cache.ts';
import { withAdmission } from '../decide/admission.ts';
import { withDeadline } from '../decide/deadline.ts';
import { withDecisionLog } from '../logs/logged-decider.ts';
import { createBundleLogPolicy } from '../logs/bundle-policy.ts';
import { startStatusReporter } from '../logs/status-reporter.ts';
import type { Decider } from '../decide/types.ts';
import { createDecisionLoggerFromConfig, instanceLabels, type DecisionLogger } from '../logs/decision-logger.ts';
import { createMetrics, type Metrics } from '../status/metrics.ts';
import { createStatusRegistry, type StatusRegistry } from '../status/registry.ts';
import { createComponentManager } from '../status/lifecycle.ts';
import { createApp, type WasmgateApp } from './app.ts';
import { startListeners, type BoundListener, type Listeners } from './transports/listeners.ts';
import { listenTargets } from './transports/targets.ts';
import { canonicalConfiguredPath } from './opa-api/data-path.ts';
import type { ServerDeps } from './types.ts';
import { RELOADABLE, type Wire } from './wiring.ts';
import type { WasmcloudIntegrationConfig } from '../config/types.ts';
import { createGatekeeperRouter } from '../integrations/gatekeeper/index.ts';
import { startWasmcloudPolicyService, type WasmcloudPolicyOptions, type WasmcloudPolicyService } from '../integrations/wasmcloud/index.ts';
import { createUi, DecisionRing, withRecording, type Ui } from '../ui/index.ts';
import { uiEnabled } from './ui-enabled.ts';
import { VERSION } from '../common/version.ts';

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
    ...(c.path !== undefined && { path: canonicalConfiguredPath(c.path) }),
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
  /** status console logger (tests); default pino on stdout */
  statusConsoleLogger?: Logger;
}

export interface RunningService {
  readonly addresses: readonly string[];
  readonly listeners: readonly BoundListener[];
  readonly app: WasmgateApp;
  readonly metrics: Metrics;
  readonly status: StatusRegistry;
  readonly decisionLog: DecisionLogger;
  readonly cache: DecisionCache;
  /** the decision explorer's ring of recent decisions; null when the UI is off */
  readonly recent: DecisionRing | null;
  /**
   * Reloads the config (SIGHUP): trust, registries, vulnerability DB settings and `decision.deadline_ms` swap
   * atomically; a config that fails to build throws and the running one stays. Sections that need a restart
   * (listeners, bundles, services, decision logs, …) are reported, not applied.
   */
  reconfigure(config: WasmgateConfig): Promise<ReconfigureOutcome>;
  /** stop accepting, finish in-flight requests, flush decision logs, remove the socket */
  stop(): Promise<void>;
}

export interface ReconfigureOutcome {
  /** config sections now in effect from the new file */
  applied: string[];
  /** config sections that differ but only take effect after a restart */
  restart_needed: string[];
}

/**
 * The composition: pipeline → cache → deadline (fail closed), the app, the listeners. The long-lived parts are
 * components (OPA's plugins): the wiring's (vulnerability DB, trusted root, bundles, shared cache), the status
 * reporter, the decision-log sinks, the wasmCloud adapter, the listeners, Gatekeeper and the UI start in that
 * order and stop in reverse; a failing start stops what started and rejects with the component named.
 */
export async function startService(o: ServiceOptions): Promise<RunningService> {
  const { config, logger } = o;
  const version = o.version ?? VERSION;
  const buckets = config.server.metrics.prom.http_request_duration_seconds.buckets;
  const metrics = createMetrics({ version, ...(buckets ? { httpBuckets: buckets } : {}) });
  const status = createStatusRegistry();
  status.register('server');
  const labels = instanceLabels(config.labels, version);
  const loggingOn = config.decision_logs.console || config.decision_logs.file !== null || config.decision_logs.service !== undefined;
  if (loggingOn) status.register('decision_logs');
  // mask_decision / drop_decision read the active bundle, known once the wiring is up
  let bundleProvider: ServerDeps['bundles'] | undefined;
  const decisionLog = createDecisionLoggerFromConfig({
    config: config.decision_logs, services: config.services, labels, metrics, status, logger,
    ndBuiltinCache: config.nd_builtin_cache,
    policy: createBundleLogPolicy({ active: () => bundleProvider?.active() ?? null }, config.decision_logs.mask_decision, config.decision_logs.drop_decision),
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
  const grace = config.server.shutdown_grace_ms;
  const components = createComponentManager<WasmgateConfig>({ status, logger });
  const wiring = await o.wire({ config, metrics, status, logger, decisionCache: cache }).catch(async (err: unknown) => {
    await decisionLog.stop(0);
    throw err;
  });
  // the wiring started its own components (in its order) and stops them; its reload is staged with the others
  components.add({ name: 'wiring', start: async () => undefined, stop: async () => wiring.stop?.(), ...(wiring.reconfigure && { reconfigure: wiring.reconfigure.bind(wiring) }) });
  bundleProvider = wiring.bundles;
  wiring.onInvalidate?.(() => cache.invalidateAll());
  metrics.onCollect(() => metrics.cacheEntries.labels('decision').set(cache.stats().size));
  // cache misses take a slot of decision.admission; beyond its queue they are shed at once (deny: overloaded)
  const admitted = withAdmission(wiring.decider, {
    maxConcurrent: config.decision.admission.max_concurrent,
    maxQueued: config.decision.admission.max_queued,
    deadlineMs: config.decision.deadline_ms,
    onShed: (why) => metrics.decisionsShed.labels(why).inc(),
  });
  // every decision, whatever the transport, is logged once: the logging decorator is outside cache and deadline
  const chain = (c: WasmgateConfig): Decider => withDecisionLog(withDeadline(withDecisionCache(admitted, cache, () => wiring.versions(), c.decision.paths[0] === undefined ? undefined : canonicalConfiguredPath(c.decision.paths[0]), wiring.resolveRef?.bind(wiring)), {
    deadlineMs: c.decision.deadline_ms,
    logger,
  }), decisionLog, () => wiring.bundles.active()?.name, c.decision.paths[0]);
  const statusReporter = startStatusReporter({
    config: config.status, services: config.services, labels, registry: status, metrics, logger,
    decisionLogs: () => (loggingOn ? { metrics: decisionLog.stats() } : undefined),
    ...(o.statusConsoleLogger ? { consoleLogger: o.statusConsoleLogger } : {}),
  });
  if (statusReporter) components.add({ name: 'status', start: async () => undefined, stop: () => statusReporter.stop() });
  // decision logs are written while anything decides: stopped after the listeners and integrations, flushed first
  components.add({
    name: 'decision_logs',
    dependsOn: ['wiring'], // mask_decision / drop_decision read the active bundle
    start: async () => undefined,
    stop: () => decisionLog.stop(Math.min(5000, grace)),
    ...(loggingOn && { status: () => status.snapshot().plugins.decision_logs ?? { state: 'NOT_READY' } }),
  });
  // these are live already: from here on a failure stops them
  await components.start();
  // A reload swaps the chain (a new deadline); each decision keeps the one it started with.
  let active = { config, decider: chain(config) };
  const decided: Decider = { decide: (req, signal) => active.decider.decide(req, signal) };
  // The decision explorer (/ui/) records every decision, whatever the transport, when it is on.
  let listeners: Listeners | undefined;
  let ring: DecisionRing | null = null;
  let app: WasmgateApp;
  try {
    const targets = listenTargets(config.listeners, o.env);
    ring = uiEnabled(config.ui.enabled, targets) ? new DecisionRing(config.ui.max_decisions) : null;
    const decider: Decider = ring ? withRecording(decided, ring, config.decision.paths[0] ?? 'wasm/sbom') : decided;

    const gatekeeper = config.integrations.gatekeeper;
    const routes: Array<{ path: string; handler: RequestHandler }> = gatekeeper.enabled
      ? [{ path: gatekeeper.path, handler: createGatekeeperRouter(decider, { ...(config.decision.paths[0] !== undefined && { path: canonicalConfiguredPath(config.decision.paths[0]) }), deadlineMs: gatekeeper.deadline_ms, maxKeys: gatekeeper.max_keys, concurrency: gatekeeper.concurrency, logger }) }]
      : [];
    const ui: Ui | null = ring ? createUi({ ring, bundles: wiring.bundles, status: () => status.snapshot(), trust: config.trust }) : null;
    if (ui) routes.push({ path: '/ui', handler: ui.router });
    const deps: ServerDeps = {
      config, decider, bundles: wiring.bundles, status, metrics, decisionLog, logger, labels, version, routes,
      cacheStats: () => ({ decision: cache.stats(), admission: admitted.stats(), ...(wiring.cacheStats?.() ?? {}) }),
      ...(wiring.dataStatus ? { dataStatus: () => wiring.dataStatus!() } : {}),
    };
    app = createApp(deps);
    // wasmCloud hosts ask over NATS; a bundle activation or DB swap re-decides what they cached.
    const wasmcloudConfig = config.integrations.wasmcloud;
    if (wasmcloudConfig) {
      let wasmcloud: WasmcloudPolicyService | null = null;
      components.add({
        name: 'wasmcloud',
        dependsOn: ['wiring', 'decision_logs'],
        async start() {
          wasmcloud = await startWasmcloudPolicyService(toWasmcloudInput(wasmcloudConfig), decider, logger);
        },
        stop: async () => wasmcloud?.stop(),
        status: () => (wasmcloud ? { state: 'OK' } : { state: 'NOT_READY' }),
      });
      wiring.onInvalidate?.(() => {
        wasmcloud?.onPolicyChange().catch((err: unknown) => logger.error({ err }, 'wasmCloud policy re-check failed'));
      });
    }
    // the OPA REST API (and the routes above) on every listener; `server` is OK once all are bound
    components.add({
      name: 'server',
      dependsOn: ['wiring', 'decision_logs'],
      async start() {
        listeners = await startListeners(targets, app.listener, logger);
      },
      stop: async () => listeners?.close(grace),
      status: () => ({ state: 'OK', details: { addresses: listeners?.bound.map((b) => b.address) ?? [] } }),
    });
    if (gatekeeper.enabled) components.add({ name: 'gatekeeper', dependsOn: ['server'], start: async () => undefined, stop: async () => undefined, status: () => ({ state: 'OK', details: { path: gatekeeper.path } }) });
    // ends the live event streams first at shutdown, so the listeners can close
    if (ui) components.add({ name: 'ui', dependsOn: ['server'], start: async () => undefined, stop: async () => ui.close() });
    await components.start();
  } catch (err) {
    await components.stop();
    throw err;
  }
  const bound = listeners!.bound;
  logger.info({ addresses: bound.map((b) => b.address) }, 'wasmgate is serving');

  let reloading: Promise<unknown> = Promise.resolve();
  const reconfigure = async (next: WasmgateConfig): Promise<ReconfigureOutcome> => {
    const prev = active.config;
    const differs = (a: unknown, b: unknown): boolean => configHash(a) !== configHash(b);
    // every component stages the new config, then all commit (a refusal throws and changes nothing)
    const reloaded = await components.reconfigure(next);
    const changed = RELOADABLE.filter((k) => reloaded.includes(k));
    const config: WasmgateConfig = { ...prev, decision: { ...prev.decision, deadline_ms: next.decision.deadline_ms } };
    for (const k of changed) Object.assign(config, { [k]: next[k] });
    active = { config, decider: chain(config) };
    const applied: string[] = [...changed];
    if (prev.decision.deadline_ms !== next.decision.deadline_ms) applied.push('decision.deadline_ms');
    const reloadable = new Set<string>(reloaded);
    const restart_needed = (Object.keys(next) as Array<keyof WasmgateConfig>)
      .filter((k) => k !== 'decision' && !reloadable.has(k) && differs(prev[k], next[k])) as string[];
    if (differs({ ...prev.decision, deadline_ms: 0 }, { ...next.decision, deadline_ms: 0 })) restart_needed.push('decision');
    return { applied, restart_needed };
  };

  let stopping: Promise<void> | undefined;
  return {
    addresses: bound.map((b) => b.address),
    listeners: bound,
    app, metrics, status, decisionLog, cache, recent: ring,
    reconfigure(next) {
      // one reload at a time, in the order asked
      const run = reloading.then(() => reconfigure(next));
      reloading = run.catch(() => undefined);
      return run;
    },
    stop() {
      stopping ??= (async () => {
        await components.stop();
        logger.info('wasmgate stopped');
      })();
      return stopping;
    },
  };
}
