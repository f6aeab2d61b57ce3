import { createSilentLogger, type Logger } from '../common/logger.ts';
import type { CollectorOptions } from '../collect/collect.ts';
import { loadConfig } from '../config/load.ts';
import type { WasmgateConfig } from '../config/types.ts';
import { createDecisionCache } from '../decide/cache.ts';
import { withDeadline } from '../decide/deadline.ts';
import type { Decider } from '../decide/types.ts';
import { createPipelineWiring } from '../wiring/pipeline-wiring.ts';
import { createMetrics } from '../status/metrics.ts';
import { createStatusRegistry } from '../status/registry.ts';
import { configBaseDir } from './config-base.ts';

/** The decision pipeline without a server: what `wasmgate check` asks. */
export interface LocalDecider {
  config: WasmgateConfig;
  /** fail-closed: errors and overruns come back as denies with a reason */
  decider: Decider;
  close(): Promise<void>;
}

export interface LocalDeciderOptions {
  /** also trust these PEM public keys (absolute paths; `wasmgate evidence --key`), with every role */
  extraKeys?: string[];
  /** reach registries this way instead of the config's `registries:` (`wasmgate evidence` flags) */
  collectorOptions?: CollectorOptions;
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
  const wiring = await createPipelineWiring({ baseDir: configBaseDir(configFile), ...(options.collectorOptions ? { collectorOptions: options.collectorOptions } : {}) })({ config, metrics, status, logger, decisionCache });
  return {
    config,
    decider: withDeadline(wiring.decider, { deadlineMs: config.decision.deadline_ms, logger }),
    close: async () => wiring.stop?.(),
  };
}
