import { VulnDatabase } from '../analyse/vulns/holder.ts';
import { createCollector } from '../collect/collect.ts';
import { collectorOptionsFromConfig } from '../collect/from-config.ts';
import { resolveConfigPath } from '../common/paths.ts';
import { configHash } from '../decide/cache.ts';
import { createPipelineDecider } from '../decide/pipeline.ts';
import { createBundleManager, type BundleManagerOptions } from '../policy/bundles/index.ts';
import { loadTrustPolicy } from '../verify/trust/load.ts';
import type { ServiceWiring, Wire } from './wiring.ts';

export interface PipelineWiringOptions {
  /** relative paths in the config (trust keys and roots, the vulnerability DB, the persistence directory) resolve from here */
  baseDir: string;
  /** bundle source overrides by name (tests, embedding) */
  bundleSources?: BundleManagerOptions['sources'];
  /** read `oci:` layouts only under `registries.layouts` (default true: the service; the CLI passes false) */
  confineLayouts?: boolean;
}

/**
 * The real decision pipeline behind the service: one collector (shared
 * connections, token and content caches), the trust policy, the vulnerability
 * database holder and the bundle manager, with cache versions and invalidation
 * (a bundle activation or a database swap drops every cached decision).
 */
export function createPipelineWiring(options: PipelineWiringOptions): Wire {
  return async ({ config, metrics, status, logger }): Promise<ServiceWiring> => {
    const trust = loadTrustPolicy(config.trust, { baseDir: options.baseDir });
    const trustHash = configHash(config.trust);
    const collector = createCollector(collectorOptionsFromConfig(config, options.baseDir, logger, { confineLayouts: options.confineLayouts ?? true }));

    const dbConfig = config.vulnerability_db;
    let vulns: VulnDatabase | null = null;
    if (dbConfig.path !== null || dbConfig.refresh.url !== null) {
      status.register('vulnerability_db');
      vulns = await VulnDatabase.open({
        persistenceDirectory: resolveConfigPath(options.baseDir, config.persistence_directory),
        ...(dbConfig.path !== null ? { initialPath: resolveConfigPath(options.baseDir, dbConfig.path) } : {}),
        ...(dbConfig.refresh.url !== null ? { url: dbConfig.refresh.url } : {}),
        ...(dbConfig.refresh.schedule !== null ? { schedule: dbConfig.refresh.schedule } : {}),
        logger,
      });
      const report = (): void => {
        const s = vulns!.status();
        status.update('vulnerability_db', { state: s.state, ...(s.last_error ? { message: s.last_error } : {}) });
      };
      report();
      vulns.onSwap(report);
      vulns.start();
    }

    // The bundle lifecycle: the configured bundles (file, HTTP service, OCI), or the embedded one when none are.
    const bundles = createBundleManager({
      config: {
        ...config,
        bundles: Object.fromEntries(Object.entries(config.bundles).map(([name, b]) =>
          // a file or directory source named relative to the config file
          [name, b.service === undefined && b.resource !== undefined && !b.resource.startsWith('file://') ? { ...b, resource: resolveConfigPath(options.baseDir, b.resource) } : b])),
        persistence_directory: resolveConfigPath(options.baseDir, config.persistence_directory),
      },
      metrics,
      status,
      logger,
      decisionPath: config.decision.paths[0] ?? 'wasm/sbom',
      ...(options.bundleSources ? { sources: options.bundleSources } : {}),
    });
    await bundles.start();

    const decider = createPipelineDecider({
      collector,
      trust: () => trust,
      bundle: (path) => bundles.activeFor(path),
      vulnerabilities: () => vulns?.current ?? null,
      scanOptions: { countInformational: dbConfig.count_informational },
      defaultPath: config.decision.paths[0] ?? 'wasm/sbom',
      logger,
    });

    const hooks: Array<() => void> = [];
    const invalidate = (): void => hooks.forEach((h) => h());
    bundles.onActivate(invalidate);
    vulns?.onSwap(invalidate);

    return {
      decider,
      bundles,
      versions() {
        const bundle = bundles.active();
        if (!bundle) return null;
        return { bundleRevision: bundle.revision, bundleDigest: bundle.digest, trustHash, dbVersion: vulns?.version ?? 'none' };
      },
      onInvalidate: (hook) => hooks.push(hook),
      async stop() {
        await bundles.stop();
        await vulns?.stop();
        await collector.close();
      },
    };
  };
}
