export { createStatusRegistry } from './registry.ts';
export type { StatusRegistry } from './registry.ts';
export { createMetrics, OPA_HTTP_BUCKETS } from './metrics.ts';
export type { Metrics, MetricsOptions } from './metrics.ts';
export type { BundleStatusV1, ComponentState, ComponentStatus, StatusListener, StatusSnapshot } from './types.ts';
export { ComponentStartError, LifecycleError, createComponentManager } from './lifecycle.ts';
export type { Component, ComponentManager, LifecycleErrorCode, StagedChange } from './lifecycle.ts';
