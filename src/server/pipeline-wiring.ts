import { isAbsolute, resolve } from 'node:path';
import { VulnDatabase } from '../analyse/vulns/holder.ts';
import { createCollector } from '../collect/collect.ts';
import { messageOf, WasmgateError } from '../common/error.ts';
import type { WasmgateConfig } from '../config/types.ts';
import { configHash } from '../decide/cache.ts';
import { createPipelineDecider } from '../decide/pipeline.ts';
import { embeddedBundlePath, loadBundleFile } from '../policy/engine/index.ts';
import type { LoadedBundle } from '../policy/engine/types.ts';
import { loadTrustPolicy } from '../verify/trust/load.ts';
import type { Metrics } from '../status/metrics.ts';
import type { StatusRegistry } from '../status/registry.ts';
import type { Logger } from '../common/logger.ts';
import type { ServiceWiring, Wire } from './wiring.ts';

export interface PipelineWiringOptions {
  /** relative paths in the config (trust keys and roots, the vulnerability DB) resolve from here */
  baseDir: string;
  /** builds the bundle side when `bundles:` are configured (the bundle lifecycle); default: embedded bundle only */
  bundles?: BundleWire;
}

/** The bundle side of the wiring: the active bundle and activation events. */
export interface BundleSide {
  active(): LoadedBundle | null;
  onActivate(listener: (bundle: LoadedBundle) => void): void;
  stop(): Promise<void>;
}

export type BundleWire = (ctx: { config: WasmgateConfig; metrics: Metrics; status: StatusRegistry; logger: Logger; baseDir: string }) => Promise<BundleSide>;

/** With no `bundles:` configured, the embedded default bundle (bundles/wasm-sbom.tar.gz) decides. */
export const embeddedBundleSide: BundleWire = async ({ metrics, status, logger }) => {
  status.expectBundles(['default']);
  status.register('bundle');
  let active: LoadedBundle | null = null;
  try {
    active = await loadBundleFile(embeddedBundlePath(), { name: 'default' });
    const now = new Date();
    status.reportBundle({ name: 'default', active_revision: active.revision, last_successful_activation: now.toISOString(), type: 'snapshot' });
    status.update('bundle', { state: 'OK' });
    metrics.bundleLoaded.labels('default').inc();
    metrics.lastSuccessBundleActivation.labels('default', active.revision).set(now.getTime() * 1e6);
  } catch (err) {
    const code = WasmgateError.isWasmgateError(err) ? err.code : 'BUNDLE_ERROR';
    status.reportBundle({ name: 'default', code, message: messageOf(err) });
    status.update('bundle', { state: 'ERROR', message: messageOf(err) });
    metrics.bundleFailedLoad.labels('default', code, messageOf(err).slice(0, 100)).inc();
    logger.error({ err }, 'the embedded bundle could not be loaded: every decision will deny (no_trusted_policy)');
  }
  return { active: () => active, onActivate: () => undefined, stop: async () => undefined };
};

function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/**
 * The real decision pipeline behind the service: one collector (shared
 * connections, token and content caches), the trust policy, the vulnerability
 * database holder and the bundle side, with cache versions and invalidation.
 */
export function createPipelineWiring(options: PipelineWiringOptions): Wire {
  return async ({ config, metrics, status, logger }): Promise<ServiceWiring> => {
    const trust = loadTrustPolicy(config.trust, { baseDir: options.baseDir });
    const trustHash = configHash(config.trust);
    const limits = config.registries.limits;
    const collector = createCollector({
      registry: {
        allowedHosts: config.registries.allow,
        insecureHosts: config.registries.insecure,
        requestTimeoutMs: limits.request_timeout_ms,
        limits: { manifestBytes: limits.manifest_bytes, blobBytes: limits.blob_bytes },
        logger,
      },
      limits: { maxReferrers: limits.referrers, maxEvidenceBytes: limits.attestation_bytes, concurrency: limits.concurrency, deadlineMs: config.decision.deadline_ms },
      logger,
    });

    const dbConfig = config.vulnerability_db;
    let vulns: VulnDatabase | null = null;
    if (dbConfig.path !== null || dbConfig.refresh.url !== null) {
      status.register('vulnerability_db');
      vulns = await VulnDatabase.open({
        persistenceDirectory: resolvePath(options.baseDir, config.persistence_directory),
        ...(dbConfig.path !== null ? { initialPath: resolvePath(options.baseDir, dbConfig.path) } : {}),
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

    const bundleSide = await (options.bundles && Object.keys(config.bundles).length > 0 ? options.bundles : embeddedBundleSide)({
      config, metrics, status, logger, baseDir: options.baseDir,
    });

    const decider = createPipelineDecider({
      collector,
      trust: () => trust,
      bundle: () => bundleSide.active(),
      vulnerabilities: () => vulns?.current ?? null,
      scanOptions: { countInformational: dbConfig.count_informational },
      defaultPath: config.decision.paths[0] ?? 'wasm/sbom',
      logger,
    });

    const hooks: Array<() => void> = [];
    const invalidate = (): void => hooks.forEach((h) => h());
    bundleSide.onActivate(invalidate);
    vulns?.onSwap(invalidate);

    return {
      decider,
      bundles: { active: () => bundleSide.active() },
      versions() {
        const bundle = bundleSide.active();
        if (!bundle) return null;
        return { bundleRevision: `${bundle.name}@${bundle.revision}:${bundle.digest}`, trustHash, dbVersion: vulns?.version ?? 'none' };
      },
      onInvalidate: (hook) => hooks.push(hook),
      async stop() {
        await bundleSide.stop();
        await vulns?.stop();
        await collector.close();
      },
    };
  };
}
