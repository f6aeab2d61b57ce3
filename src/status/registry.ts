import type { BundleStatusV1, ComponentStatus, StatusListener, StatusSnapshot } from './types.ts';

/**
 * The component status registry (OPA's plugin manager status, v1/plugins/plugins.go).
 * Components register (NOT_READY), then report their state; health and
 * `/v1/status` are derived from here. Reporting is cheap and never blocks:
 * listeners are called after the update on a microtask, latest state wins.
 */
export interface StatusRegistry {
  register(name: string, initial?: ComponentStatus): void;
  update(name: string, status: ComponentStatus): void;
  /** records a bundle's status; a bundle configured but not yet activated should be reported without `last_successful_activation` */
  reportBundle(status: BundleStatusV1): void;
  /** declares the bundles that must activate before `/health?bundles` is 200 */
  expectBundles(names: readonly string[]): void;
  snapshot(): StatusSnapshot;
  /** true when every expected bundle has activated at least once */
  bundlesReady(): boolean;
  /** true when every registered component (minus `exclude`) is OK */
  pluginsReady(exclude?: readonly string[]): boolean;
  subscribe(listener: StatusListener): () => void;
}

export function createStatusRegistry(): StatusRegistry {
  const plugins = new Map<string, ComponentStatus>();
  const bundles = new Map<string, BundleStatusV1>();
  const expected = new Set<string>();
  const listeners = new Set<StatusListener>();
  let notifyQueued = false;

  const snapshot = (): StatusSnapshot => ({
    plugins: Object.fromEntries([...plugins].map(([k, v]) => [k, copyStatus(v)])),
    bundles: Object.fromEntries([...bundles].map(([k, v]) => [k, structuredClone(v)])),
  });

  // Coalesces bursts of updates into one notification with the latest state.
  const notify = (): void => {
    if (listeners.size === 0 || notifyQueued) return;
    notifyQueued = true;
    queueMicrotask(() => {
      notifyQueued = false;
      const snap = snapshot();
      for (const l of listeners) {
        try {
          l(snap);
        } catch {
          // a listener's failure must not affect reporters
        }
      }
    });
  };

  return {
    register(name, initial = { state: 'NOT_READY' }) {
      if (!plugins.has(name)) plugins.set(name, copyStatus(initial));
      notify();
    },
    update(name, status) {
      plugins.set(name, copyStatus(status));
      notify();
    },
    reportBundle(status) {
      bundles.set(status.name, { ...status });
      notify();
    },
    expectBundles(names) {
      for (const n of names) expected.add(n);
    },
    snapshot,
    bundlesReady() {
      for (const n of expected) {
        if (!bundles.get(n)?.last_successful_activation) return false;
      }
      return true;
    },
    pluginsReady(exclude = []) {
      for (const [name, s] of plugins) {
        if (!exclude.includes(name) && s.state !== 'OK') return false;
      }
      return true;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function copyStatus(s: ComponentStatus): ComponentStatus {
  const out: ComponentStatus = { state: s.state };
  if (s.message !== undefined) out.message = s.message;
  if (s.details !== undefined) out.details = structuredClone(s.details);
  return out;
}
