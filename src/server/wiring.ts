import type { Logger } from '../common/logger.ts';
import type { WasmgateConfig } from '../config/types.ts';
import type { DecisionCache, DecisionVersions } from '../decide/cache.ts';
import type { Decider } from '../decide/types.ts';
import type { Metrics } from '../status/metrics.ts';
import type { StagedChange } from '../status/lifecycle.ts';
import type { StatusRegistry } from '../status/registry.ts';
import type { BundleProvider } from './types.ts';

/** What the service is handed to do real work: the decision pipeline and the active bundle. */
export interface ServiceWiring {
  /** the pipeline (resolve → collect → verify → analyse → assemble → evaluate); the service adds cache and deadline around it */
  decider: Decider;
  bundles: BundleProvider;
  /** what cached decisions depend on now; null while unknown (nothing is cached) */
  versions(): DecisionVersions | null;
  /** pins a tag ref to its current digest (the decision cache then answers it from the digest's decision) */
  resolveRef?(ref: string, signal?: AbortSignal): Promise<string | null>;
  /** extra cache sizes for /v1/status (e.g. the evidence cache) */
  cacheStats?(): Record<string, unknown>;
  /** live facts about the data decisions depend on, for /v1/status and /health (e.g. {vulnerability_db: {…}}) */
  dataStatus?(): Record<string, unknown>;
  /** registers a hook called when cached decisions must go (bundle activation, trust or DB change) */
  onInvalidate?(hook: () => void): void;
  /**
   * Stages a swap of what can change without a restart (trust, registries, vulnerability DB) to `config`:
   * everything is built and validated first (a failure throws and leaves the running config); the commit swaps it
   * in atomically, in-flight decisions finish on the previous one, cached decisions are dropped. Null: nothing
   * changed. `applied` lists the sections the commit puts in effect.
   */
  reconfigure?(config: WasmgateConfig): Promise<StagedChange | null>;
  /** stops its components in reverse start order */
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

/** The config sections a wiring swaps on reload (SIGHUP) without a restart. */
export const RELOADABLE = ['trust', 'registries', 'vulnerability_db'] as const satisfies ReadonlyArray<keyof WasmgateConfig>;
export type ReloadableSection = (typeof RELOADABLE)[number];
