import type { RequestHandler } from 'express';
import type { Logger } from '../common/logger.ts';
import type { WasmgateConfig } from '../config/types.ts';
import type { Decider } from '../decide/types.ts';
import type { DecisionLogger } from '../logs/decision-logger.ts';
import type { LoadedBundle } from '../policy/engine/types.ts';
import type { Metrics } from '../status/metrics.ts';
import type { StatusRegistry } from '../status/registry.ts';

/** The active policy bundle (the bundle lifecycle swaps it; the server only reads). */
export interface BundleProvider {
  active(): LoadedBundle | null;
}

/** Everything the HTTP app needs; built once at start. */
export interface ServerDeps {
  config: WasmgateConfig;
  decider: Decider;
  bundles: BundleProvider;
  status: StatusRegistry;
  metrics: Metrics;
  decisionLog: DecisionLogger;
  logger: Logger;
  /** instance labels (config labels + id + version), as in decision logs */
  labels: Record<string, string>;
  version: string;
  /** extra routers mounted before the OPA API (e.g. the Gatekeeper external data provider) */
  routes?: ReadonlyArray<{ path: string; handler: RequestHandler }>;
  /** cache sizes for /v1/status, e.g. {decision: {size, …}, evidence: {…}} */
  cacheStats?: () => Record<string, unknown>;
  /** live facts about the data decisions depend on (e.g. {vulnerability_db: {source, version, age_seconds, records, …}}) */
  dataStatus?: () => Record<string, unknown>;
}
