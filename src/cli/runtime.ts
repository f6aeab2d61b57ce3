import { createSilentLogger, type Logger } from '../common/logger.ts';
import { loadConfig } from '../config/load.ts';
import type { WasmgateConfig } from '../config/types.ts';
import { createDecisionCache } from '../decide/cache.ts';
import { withDeadline } from '../decide/deadline.ts';
import type { Decider } from '../decide/types.ts';
import { createPipelineWiring } from '../server/pipeline-wiring.ts';
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

export async function createLocalDecider(configFile: string | undefined, logger: Logger = createSilentLogger()): Promise<LocalDecider> {
  const { config } = await loadConfig(configFile);
  const metrics = createMetrics({ defaultMetrics: false });
  const status = createStatusRegistry();
  const decisionCache = createDecisionCache({ ttlMs: 0, maxEntries: 0 });
  // the CLI reads any layout the user names (registries.layouts confines the service's callers)
  const wiring = await createPipelineWiring({ baseDir: configBaseDir(configFile), confineLayouts: false })({ config, metrics, status, logger, decisionCache });
  return {
    config,
    decider: withDeadline(wiring.decider, { deadlineMs: config.decision.deadline_ms, logger }),
    close: async () => wiring.stop?.(),
  };
}
