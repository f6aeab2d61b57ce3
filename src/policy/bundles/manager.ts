import type { ArtifactStore } from '../../oci/store.ts';
import { createSilentLogger, type Logger } from '../../common/logger.ts';
import type { BundleConfig, KeyConfig, ServiceConfig } from '../../config/types.ts';
import type { Metrics } from '../../status/metrics.ts';
import type { StatusRegistry } from '../../status/registry.ts';
import { embeddedBundlePath } from '../engine/engine.ts';
import type { LoadBundleOptions } from '../engine/engine.ts';
import type { LoadedBundle } from '../engine/types.ts';
import { BundleLoader, type LoaderHost } from './loader.ts';
import { createBundleMetrics } from './metrics.ts';
import type { PreparedBundle } from './prepare.ts';
import { isUnder } from './roots.ts';
import type { VerificationConfig } from './signatures.ts';
import { FileSource, createSource } from './sources/index.ts';
import type { BundleSource } from './sources/types.ts';
import type { BundleStatus } from './status.ts';

/** The status registry's component name for the bundle lifecycle (OPA's plugin name). */
export const BUNDLE_COMPONENT = 'bundle';
/** The name of the shipped bundle when no `bundles:` are configured. */
export const EMBEDDED_BUNDLE_NAME = 'default';

export interface ActivationEvent {
  name: string;
  bundle: LoadedBundle;
  previous: LoadedBundle | null;
}

export type ActivationListener = (event: ActivationEvent) => void;

export interface BundleManagerOptions {
  /** the config keys the lifecycle reads, in OPA's shape */
  config: {
    bundles: Readonly<Record<string, BundleConfig>>;
    keys?: Readonly<Record<string, KeyConfig>>;
    services?: Readonly<Record<string, ServiceConfig>>;
    persistence_directory?: string;
  };
  /** the shared metrics (src/status); default a private registry */
  metrics?: Metrics;
  /** the component status registry (health, /v1/status) */
  status?: StatusRegistry;
  logger?: Logger;
  /** engine options for every bundle (entrypoints the decision path needs, custom builtins, memory) */
  load?: Omit<LoadBundleOptions, 'name'>;
  /** with several bundles, `active()` is the one whose roots cover this path; default wasm/sbom */
  decisionPath?: string;
  /** quiet time after a file change before the reload; default 200 ms */
  debounceMs?: number;
  /** with no bundles configured, serve the shipped bundles/wasm-sbom.tar.gz as "default"; default true */
  embedded?: boolean;
  /** registry client for OCI services; default one RegistryClient per bundle */
  ociStore?: (service: ServiceConfig) => ArtifactStore;
  /** source overrides by bundle name (tests, embedding) */
  sources?: Readonly<Record<string, BundleSource>>;
  /** jitter source; default Math.random */
  random?: () => number;
}

/**
 * The bundle lifecycle (OPA's bundle plugin): one loader per configured bundle,
 * the last good bundle wins. Decisions read `active()` (or `activeFor(path)`)
 * once per decision and keep that object, so a swap never changes a decision
 * in flight.
 */
export interface BundleManager {
  /** the bundle decisions use: the only one, or the one whose roots cover the decision path */
  active(): LoadedBundle | null;
  /** the active bundle whose roots cover `path` (the longest matching root wins) */
  activeFor(path: string): LoadedBundle | null;
  /** every active bundle by name */
  bundles(): ReadonlyMap<string, LoadedBundle>;
  /** listeners run synchronously right after a swap; returns the unsubscribe function */
  onActivate(listener: ActivationListener): () => void;
  /** OPA's bundle status per bundle name */
  status(): Record<string, BundleStatus>;
  /** true when every configured bundle has been activated at least once */
  ready(): boolean;
  /** checks one bundle (or all) now, e.g. for `trigger: manual` */
  trigger(name?: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createBundleManager(options: BundleManagerOptions): BundleManager {
  const logger = options.logger ?? createSilentLogger();
  const metrics = createBundleMetrics(options.metrics);
  const listeners = new Set<ActivationListener>();
  const loaders = new Map<string, BundleLoader>();
  const decisionPath = options.decisionPath ?? 'wasm/sbom';
  const { config } = options;

  const host: LoaderHost = {
    otherRoots(name) {
      const out = new Map<string, readonly string[]>();
      for (const [n, l] of loaders) if (n !== name && l.current !== null) out.set(n, l.current.bundle.manifest.roots);
      return out;
    },
    activated(name, next: PreparedBundle, previous: PreparedBundle | null) {
      const event: ActivationEvent = { name, bundle: next.bundle, previous: previous?.bundle ?? null };
      for (const l of listeners) {
        try {
          l(event);
        } catch (err) {
          logger.error({ err, bundle: name }, 'a bundle activation listener failed');
        }
      }
    },
    changed(name) {
      const l = loaders.get(name);
      if (l === undefined || options.status === undefined) return;
      options.status.reportBundle(l.status.snapshot());
      options.status.update(BUNDLE_COMPONENT, manager.ready() ? { state: 'OK' } : { state: 'NOT_READY', message: 'waiting for the first activation of every bundle' });
    },
  };

  const named = Object.entries(config.bundles);
  const embedded = named.length === 0 && options.embedded !== false;
  const entries: Array<[string, BundleConfig]> = embedded
    ? [[EMBEDDED_BUNDLE_NAME, { persist: false, size_limit_bytes: 1024 * 1024 * 1024, trigger: 'manual' }]]
    : named;
  for (const [name, bundle] of entries) {
    const source = options.sources?.[name]
      ?? (embedded ? new FileSource(embeddedBundlePath(), bundle.size_limit_bytes) : createSource(name, bundle, {
        services: config.services ?? {},
        ...(options.ociStore !== undefined && { ociStore: options.ociStore }),
      }));
    const verification: VerificationConfig | undefined = bundle.signing === undefined ? undefined : {
      keys: config.keys ?? {},
      ...(bundle.signing.keyid !== undefined && { keyid: bundle.signing.keyid }),
      ...(bundle.signing.scope !== undefined && { scope: bundle.signing.scope }),
      ...(bundle.signing.exclude_files !== undefined && { exclude_files: bundle.signing.exclude_files }),
    };
    loaders.set(name, new BundleLoader({
      name,
      config: bundle,
      source,
      host,
      metrics,
      logger,
      load: options.load ?? {},
      ...(verification !== undefined && { verification }),
      ...(config.persistence_directory !== undefined && { persistenceDirectory: config.persistence_directory }),
      watch: !embedded,
      debounceMs: options.debounceMs ?? 200,
      random: options.random ?? Math.random,
    }));
  }

  const activeFor = (path: string): LoadedBundle | null => {
    let best: { bundle: LoadedBundle; depth: number } | undefined;
    for (const l of loaders.values()) {
      const b = l.current?.bundle;
      if (b === undefined) continue;
      for (const root of b.manifest.roots) {
        if (!isUnder(path, root)) continue;
        const depth = root.split('/').filter((s) => s !== '').length;
        if (best === undefined || depth > best.depth) best = { bundle: b, depth };
      }
    }
    return best?.bundle ?? null;
  };

  const manager: BundleManager = {
    active() {
      if (loaders.size === 1) return ([...loaders.values()][0] as BundleLoader).current?.bundle ?? null;
      return activeFor(decisionPath);
    },
    activeFor,
    bundles() {
      const out = new Map<string, LoadedBundle>();
      for (const [n, l] of loaders) if (l.current !== null) out.set(n, l.current.bundle);
      return out;
    },
    onActivate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    status() {
      return Object.fromEntries([...loaders].map(([n, l]) => [n, l.status.snapshot()]));
    },
    ready() {
      for (const l of loaders.values()) if (l.current === null) return false;
      return true;
    },
    async trigger(name) {
      const targets = name === undefined ? [...loaders.values()] : [loaders.get(name)].filter((l): l is BundleLoader => l !== undefined);
      await Promise.all(targets.map((l) => l.check()));
    },
    async start() {
      if (options.status !== undefined) {
        options.status.register(BUNDLE_COMPONENT);
        options.status.expectBundles([...loaders.keys()]);
        for (const l of loaders.values()) options.status.reportBundle(l.status.snapshot());
      }
      await Promise.all([...loaders.values()].map((l) => l.start()));
      for (const name of loaders.keys()) host.changed(name);
    },
    async stop() {
      await Promise.all([...loaders.values()].map((l) => l.stop()));
    },
  };
  return manager;
}
