import { VulnDatabase } from '../analyse/vulns/holder.ts';
import { createCollector, type Collector, type CollectorOptions } from '../collect/collect.ts';
import type { WasmgateConfig } from '../config/types.ts';
import type { Decider } from '../decide/types.ts';
import { collectorOptionsFromConfig } from '../collect/from-config.ts';
import { resolveConfigPath } from '../common/paths.ts';
import { configHash, type DecisionVersions } from '../decide/cache.ts';
import { createSharedCache } from '../cache/shared/index.ts';
import { createPipelineDecider } from '../decide/pipeline.ts';
import { createBundleManager, type BundleManagerOptions } from '../policy/bundles/index.ts';
import { loadTrustPolicy } from '../verify/trust/load.ts';
import { RELOADABLE, type ServiceWiring, type Wire } from '../server/wiring.ts';

export interface PipelineWiringOptions {
  /** relative paths in the config (trust keys and roots, the vulnerability DB, the persistence directory) resolve from here */
  baseDir: string;
  /** bundle source overrides by name (tests, embedding) */
  bundleSources?: BundleManagerOptions['sources'];
  /** collector options instead of the config's `registries:` (`wasmgate evidence` flags) */
  collectorOptions?: CollectorOptions;
}

/**
 * The real decision pipeline behind the service: one collector (shared
 * connections, token and content caches), the trust policy, the vulnerability
 * database holder and the bundle manager, with cache versions and invalidation
 * (a bundle activation or a database swap drops every cached decision).
 */
export function createPipelineWiring(options: PipelineWiringOptions): Wire {
  return async ({ config, metrics, status, logger }): Promise<ServiceWiring> => {
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

    const hooks: Array<() => void> = [];
    const invalidate = (): void => hooks.forEach((h) => h());

    // What a reload can swap: trust, registries (the collector) and the vulnerability database. One generation
    // answers each decision from start to end: a reload builds the next one beside it, then swaps the pointer.
    const openDb = async (c: WasmgateConfig): Promise<VulnDatabase | null> => {
      const db = c.vulnerability_db;
      if (db.path === null && db.refresh.url === null) return null;
      status.register('vulnerability_db');
      const vulns = await VulnDatabase.open({
        persistenceDirectory: resolveConfigPath(options.baseDir, c.persistence_directory),
        ...(db.path !== null ? { initialPath: resolveConfigPath(options.baseDir, db.path) } : {}),
        ...(db.refresh.url !== null ? { url: db.refresh.url } : {}),
        ...(db.refresh.schedule !== null ? { schedule: db.refresh.schedule } : {}),
        logger,
      });
      const report = (): void => {
        if (current !== undefined && current.vulns !== vulns) return; // a replaced database no longer reports
        const s = vulns.status();
        status.update('vulnerability_db', { state: s.state, ...(s.last_error ? { message: s.last_error } : {}) });
      };
      vulns.onSwap(report);
      vulns.onSwap(() => {
        if (current?.vulns === vulns) invalidate();
      });
      return vulns;
    };
    const build = async (c: WasmgateConfig, reuseDb: Generation['vulns'] | undefined): Promise<Generation> => {
      const trust = loadTrustPolicy(c.trust, { baseDir: options.baseDir });
      if (trust.unscoped.length > 0) {
        logger.warn({ entries: trust.unscoped }, `${trust.unscoped.join(', ')}: no roles:, so each may sign SBOMs, provenance and signatures; add roles: [sbom, provenance, signature] (the ones each signer may vouch for) to narrow them`);
      }
      const vulns = reuseDb !== undefined ? reuseDb : await openDb(c);
      const collector = createCollector(options.collectorOptions ?? collectorOptionsFromConfig(c, options.baseDir, logger));
      const decider = createPipelineDecider({
        collector,
        trust: () => trust,
        bundle: (path) => bundles.activeFor(path),
        bundleProblems: () => {
          const refused = Object.values(bundles.status()).filter((b) => b.active_revision === undefined && b.errors !== undefined && b.errors.length > 0);
          return refused.length === 0 ? undefined : refused.map((b) => `bundle ${b.name} was refused: ${b.errors!.map((e) => `${e.code}: ${e.message}`).join('; ')}`).join('; ');
        },
        vulnerabilities: () => vulns?.current ?? null,
        scanOptions: { countInformational: c.vulnerability_db.count_informational },
        defaultPath: c.decision.paths[0] ?? 'wasm/sbom',
        logger,
      });
      return { config: c, trustHash: configHash(c.trust), collector, vulns, decider };
    };

    let current: Generation | undefined;
    current = await build(config, undefined);
    if (current.vulns) {
      const s = current.vulns.status();
      status.update('vulnerability_db', { state: s.state, ...(s.last_error ? { message: s.last_error } : {}) });
      current.vulns.start();
    }
    await bundles.start();
    bundles.onActivate(invalidate);
    const now = (): Generation => current!;
    const versions = (): DecisionVersions | null => {
      const bundle = bundles.active();
      if (!bundle) return null;
      const g = now();
      return { bundleRevision: bundle.revision, bundleDigest: bundle.digest, trustHash: g.trustHash, dbVersion: g.vulns?.version ?? 'none' };
    };
    // Fleet mode: digest-pinned decisions shared with the other sidecars through Redis.
    const shared = config.cache.shared
      ? createSharedCache(config.cache.shared, { logger, metrics, status, resolvePath: (p) => resolveConfigPath(options.baseDir, p) })
      : null;
    const local: Decider = { decide: (req, signal) => now().decider.decide(req, signal) };

    return {
      decider: shared ? shared.wrap(local, versions, config.decision.paths[0] ?? 'wasm/sbom') : local,
      bundles,
      versions,
      ...(shared ? { cacheStats: () => ({ shared: shared.stats() }) } : {}),
      onInvalidate: (hook) => hooks.push(hook),
      async reconfigure(next) {
        const prev = now();
        const changed = RELOADABLE.filter((k) => configHash(prev.config[k]) !== configHash(next[k]));
        if (changed.length === 0) return { changed };
        const dbChanged = changed.includes('vulnerability_db');
        // Build (and validate) everything first: a trust or database error leaves the running generation in place.
        const gen = await build(next, dbChanged ? undefined : prev.vulns);
        current = gen;
        if (dbChanged && gen.vulns) {
          const st = gen.vulns.status();
          status.update('vulnerability_db', { state: st.state, ...(st.last_error ? { message: st.last_error } : {}) });
          gen.vulns.start();
        }
        invalidate();
        // In-flight decisions hold the previous generation until they finish: close its resources after them.
        const grace = prev.config.decision.deadline_ms * 2 + 1000;
        setTimeout(() => {
          prev.collector.close().catch((err: unknown) => logger.warn({ err }, 'closing the previous collector failed'));
          if (dbChanged) prev.vulns?.stop().catch((err: unknown) => logger.warn({ err }, 'stopping the previous vulnerability database failed'));
        }, grace).unref();
        if (dbChanged && !gen.vulns) status.update('vulnerability_db', { state: 'NOT_READY', message: 'no vulnerability database configured' });
        return { changed };
      },
      async stop() {
        const g = now();
        await bundles.stop();
        await g.vulns?.stop();
        await g.collector.close();
        await shared?.close();
      },
    };
  };
}

interface Generation {
  config: WasmgateConfig;
  trustHash: string;
  collector: Collector;
  vulns: VulnDatabase | null;
  decider: Decider;
}
