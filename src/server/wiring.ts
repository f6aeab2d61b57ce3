import type { Logger } from '../common/logger.ts';
import type { WasmgateConfig } from '../config/types.ts';
import type { DecisionCache, DecisionVersions } from '../decide/cache.ts';
import { WasmgateError } from '../common/error.ts';
import type { Decider } from '../decide/types.ts';
import { embeddedBundlePath, loadBundleFile } from '../policy/engine/index.ts';
import type { LoadedBundle } from '../policy/engine/types.ts';
import type { Metrics } from '../status/metrics.ts';
import type { StatusRegistry } from '../status/registry.ts';
import type { BundleProvider } from './types.ts';

/** What the service is handed to do real work: the decision pipeline and the active bundle. */
export interface ServiceWiring {
  /** the pipeline (resolve → collect → verify → analyse → assemble → evaluate); the service adds cache and deadline around it */
  decider: Decider;
  bundles: BundleProvider;
  /** what cached decisions depend on now; null while unknown (nothing is cached) */
  versions(): DecisionVersions | null;
  /** extra cache sizes for /v1/status (e.g. the evidence cache) */
  cacheStats?(): Record<string, unknown>;
  /** registers a hook called when cached decisions must go (bundle activation, trust or DB change) */
  onInvalidate?(hook: () => void): void;
  stop?(): Promise<void>;
}

export interface WiringContext {
  config: WasmgateConfig;
  metrics: Metrics;
  status: StatusRegistry;
  logger: Logger;
  /**
   * The service's decision cache. Digest-pinned refs are cached around the pipeline already; a pipeline may use it
   * after resolving a tag (`decisionKey({subject: repo@digest, …})` + `getOrCompute`) and call `invalidateAll()`.
   */
  decisionCache: DecisionCache;
}

export type Wire = (ctx: WiringContext) => Promise<ServiceWiring>;

/**
 * PLACEHOLDER wiring until the lead connects the real pipeline: raw data paths
 * are evaluated on the embedded bundle (when no `bundles:` are configured), and
 * every decision path fails closed with `no_trusted_policy`.
 */
export const createPlaceholderWiring: Wire = async ({ config, metrics, status, logger }) => {
  let active: LoadedBundle | null = null;
  if (Object.keys(config.bundles).length === 0) {
    status.expectBundles(['default']);
    status.register('bundle');
    try {
      active = await loadBundleFile(embeddedBundlePath(), { name: 'default' });
      const now = new Date();
      status.reportBundle({ name: 'default', active_revision: active.revision, last_successful_activation: now.toISOString(), type: 'snapshot' });
      status.update('bundle', { state: 'OK' });
      metrics.bundleLoaded.labels('default').inc();
      metrics.lastSuccessBundleActivation.labels('default', active.revision).set(now.getTime() * 1e6);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'BUNDLE_ERROR';
      status.reportBundle({ name: 'default', code, message: (err as Error).message });
      status.update('bundle', { state: 'ERROR', message: (err as Error).message });
      metrics.bundleFailedLoad.labels('default', code, (err as Error).message.slice(0, 100)).inc();
      logger.error({ err }, 'the embedded bundle could not be loaded');
    }
  }
  return {
    decider: {
      decide() {
        return Promise.reject(new WasmgateError('NO_TRUSTED_POLICY', 'the decision pipeline is not wired into this build yet; no module can be allowed'));
      },
    },
    bundles: { active: () => active },
    versions: () => null,
  };
};
