export { createStatusRegistry, COMPONENT_STATES } from './registry.ts';
export type { StatusRegistry } from './registry.ts';
export { createMetrics, OPA_HTTP_BUCKETS } from './metrics.ts';
export type { Metrics, MetricsOptions } from './metrics.ts';
export type { BundleStatusV1, ComponentState, ComponentStatus, StatusListener, StatusSnapshot } from './types.ts';
export { startStatusReporter, statusEventV1 } from './reporter.ts';
export type { StatusReporter, StatusReporterOptions } from './reporter.ts';
