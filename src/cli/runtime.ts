import { VERSION } from '../common/version.ts';
import { createSilentLogger, type Logger } from '../common/logger.ts';
import type { CollectorOptions } from '../collect/collect.ts';
import { loadConfig } from '../config/load.ts';
import type { DecisionLogsConfig, WasmgateConfig } from '../config/types.ts';
import { createDecisionCache } from '../decide/cache.ts';
import { withDeadline } from '../decide/deadline.ts';
import { withDecisionLog } from '../logs/logged-decider.ts';
import { createBundleLogPolicy } from '../logs/bundle-policy.ts';
import { createDecisionLoggerFromConfig, instanceLabels } from '../logs/decision-logger.ts';
import type { Decider } from '../decide/types.ts';
import type { BundleProvider } from '../server/types.ts';
import { createPipelineWiring } from '../wiring/pipeline-wiring.ts';
import { createMetrics } from '../status/metrics.ts';
import { createStatusRegistry } from '../status/registry.ts';
import { createComponentManager } from '../status/lifecycle.ts';
import { configBaseDir } from './config-base.ts';

/** The decision pipeline without a server: what `wasmgate check` asks. */
export interface LocalDecider {
  config: WasmgateConfig;
  /** fail-closed: errors and overruns come back as denies with a reason */
  decider: Decider;
  /** the active policy bundle (replay evaluates on it) */
  bundles: BundleProvider;
  close(): Promise<void>;
}

export interface LocalDeciderOptions {
  /** also trust these PEM public keys (absolute paths; `wasmgate evidence --key`), with every role */
  extraKeys?: string[];
  /** reach registries this way instead of the config's `registries:` (`wasmgate evidence` flags) */
  collectorOptions?: CollectorOptions;
  /** log decisions as the config's decision_logs says (default true; `replay` re-fetches evidence without logging) */
  decisionLogs?: boolean;
}

export async function createLocalDecider(configFile: string | undefined, logger: Logger = createSilentLogger(), options: LocalDeciderOptions = {}): Promise<LocalDecider> {
  const { config } = await loadConfig(configFile);
  if (options.extraKeys !== undefined && options.extraKeys.length > 0) {
    const existing: unknown = config.trust.keys;
    config.trust = { ...config.trust, keys: [...(Array.isArray(existing) ? existing : []), ...options.extraKeys.map((path) => ({ path }))] };
  }
  const metrics = createMetrics({ defaultMetrics: false });
  const status = createStatusRegistry();
  const decisionCache = createDecisionCache({ ttlMs: 0, maxEntries: 0 });
  // the CLI reads any layout the user names (registries.layouts confines the service's callers)
  // one-shot decisions: evaluation on this thread (worker threads would only add their start-up)
  const local: WasmgateConfig = { ...config, decision: { ...config.decision, evaluation: { ...config.decision.evaluation, threads: 0 } } };
  const wiring = await createPipelineWiring({ baseDir: configBaseDir(configFile), waitForVulnerabilityData: true, confineLayouts: false, ...(options.collectorOptions ? { collectorOptions: options.collectorOptions } : {}) })({ config: local, metrics, status, logger, decisionCache });
  // a config with decision_logs (console, file, service) logs the CLI's decisions too
  const { service: _service, ...noUpload } = config.decision_logs;
  const logsConfig: DecisionLogsConfig = options.decisionLogs === false ? { ...noUpload, console: false, file: null } : config.decision_logs;
  const decisionLog = createDecisionLoggerFromConfig({
    config: logsConfig, services: config.services, labels: instanceLabels(config.labels, VERSION), metrics, status, logger,
    ndBuiltinCache: config.nd_builtin_cache,
    policy: createBundleLogPolicy(wiring.bundles, config.decision_logs.mask_decision, config.decision_logs.drop_decision),
  });
  // the wiring's components stop after the decision logs are flushed (reverse order)
  const components = createComponentManager({ status, logger });
  components.add({ name: 'wiring', start: async () => undefined, stop: async () => wiring.stop?.() });
  components.add({ name: 'decision_logs', dependsOn: ['wiring'], start: async () => undefined, stop: () => decisionLog.stop(5000) });
  await components.start();
  return {
    config,
    bundles: wiring.bundles,
    decider: withDecisionLog(withDeadline(wiring.decider, { deadlineMs: config.decision.deadline_ms, logger }), decisionLog, () => wiring.bundles.active()?.name, config.decision.paths[0]),
    close: () => components.stop(),
  };
}
