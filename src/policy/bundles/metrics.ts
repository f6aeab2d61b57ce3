import { Gauge, type Registry } from 'prom-client';
import { createMetrics, type Metrics } from '../../status/metrics.ts';

/**
 * The bundle metrics under OPA's names. The counters, the activation gauge and
 * the loading histogram come from the shared Metrics (src/status); the request
 * and download gauges are added to the same registry here.
 */
export interface BundleMetrics {
  loaded(name: string): void;
  failed(name: string, code: string, message: string): void;
  activated(name: string, revision: string, at: Date): void;
  request(name: string, at: Date): void;
  requestSuccess(name: string, at: Date): void;
  download(name: string, at: Date): void;
  /** nanoseconds spent in a stage (`download` | `activate`) */
  duration(name: string, stage: string, ns: number): void;
  readonly registry: Registry;
}

export function createBundleMetrics(metrics: Metrics = createMetrics({ defaultMetrics: false })): BundleMetrics {
  const registry = metrics.registry;
  const gauge = (name: string, help: string): Gauge<'name'> =>
    (registry.getSingleMetric(name) as Gauge<'name'> | undefined) ?? new Gauge({ name, help, labelNames: ['name'], registers: [registry] });
  const lastRequest = gauge('last_bundle_request', 'Last bundle request (Unix ns).');
  const lastSuccessRequest = gauge('last_success_bundle_request', 'Last successful bundle request (Unix ns).');
  const lastDownload = gauge('last_success_bundle_download', 'Last successful bundle download (Unix ns).');
  // the activation gauge keeps one series per bundle: the active revision's
  const activeRevision = new Map<string, string>();
  return {
    registry,
    loaded: (name) => metrics.bundleLoaded.labels(name).inc(),
    failed: (name, code, message) => metrics.bundleFailedLoad.labels(name, code, message.slice(0, 200)).inc(),
    activated(name, revision, at) {
      const prev = activeRevision.get(name);
      if (prev !== undefined && prev !== revision) metrics.lastSuccessBundleActivation.remove(name, prev);
      activeRevision.set(name, revision);
      metrics.lastSuccessBundleActivation.labels(name, revision).set(at.getTime() * 1e6);
    },
    request: (name, at) => lastRequest.labels(name).set(at.getTime() * 1e6),
    requestSuccess: (name, at) => lastSuccessRequest.labels(name).set(at.getTime() * 1e6),
    download: (name, at) => lastDownload.labels(name).set(at.getTime() * 1e6),
    duration: (name, stage, ns) => metrics.bundleLoadingDuration.labels(name, stage).observe(ns),
  };
}
