import { VulnDatabase } from '../analyse/vulns/holder.ts';
import { createCollector } from '../collect/collect.ts';
import { collectorOptionsFromConfig } from '../collect/from-config.ts';
import { resolveConfigPath } from '../common/paths.ts';
import { configHash } from '../decide/cache.ts';
import { createPipelineDecider } from '../decide/pipeline.ts';
import { createBundleManager, type BundleManagerOptions } from '../policy/bundles/index.ts';
import { loadTrustPolicy } from '../verify/trust/load.ts';
import type { ErrorEntry } from '../assemble/input-v1.ts';
import type { Logger } from '../common/logger.ts';
import { durationMs } from '../config/duration.ts';
import type { VulnerabilityDbConfig, WasmgateConfig } from '../config/types.ts';
import type { Metrics } from '../status/metrics.ts';
import type { ComponentState } from '../status/types.ts';
import type { ServiceWiring, Wire } from './wiring.ts';

export interface PipelineWiringOptions {
  /** relative paths in the config (trust keys and roots, the vulnerability DB, the persistence directory) resolve from here */
  baseDir: string;
  /** bundle source overrides by name (tests, embedding) */
  bundleSources?: BundleManagerOptions['sources'];
  /**
   * Wait for the vulnerability database's first download (when nothing usable is on disk) before answering: what a
   * one-shot command (`wasmgate check`) needs. A server starts at once and denies until the data is there.
   */
  waitForVulnerabilityData?: boolean;
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
    const hooks: Array<() => void> = [];
    const invalidate = (): void => hooks.forEach((h) => h());
    const collector = createCollector(collectorOptionsFromConfig(config, options.baseDir, logger, metrics));

    const dbConfig = config.vulnerability_db;
    const vulns = await openVulnerabilityDb(config, options.baseDir, logger);
    const dbStatus = (): Record<string, unknown> => vulnerabilityDbStatus(config.vulnerability_db, vulns);
    const dbProblem = (): ErrorEntry | null => {
      if (!dbConfig.required) return null;
      if (vulns === null) {
        return {
          code: 'vulnerability_db_unavailable',
          message: 'no vulnerability database is configured: set vulnerability_db.path (an OSV directory or export zip) or vulnerability_db.refresh.url, or decide without one with vulnerability_db: {required: false}',
        };
      }
      return vulns.problem();
    };
    status.register('vulnerability_db');
    let lastState = '';
    let lastReport = '';
    const reportDb = (): void => {
      const s = dbStatus();
      const problem = dbProblem();
      const state = (s.state as ComponentState | undefined) ?? 'ERROR';
      // required: unusable data is an ERROR (decisions deny); not required: a WARN (decisions go on without it)
      const shown: ComponentState = problem !== null ? 'ERROR' : !dbConfig.required && state === 'ERROR' ? 'WARN' : state;
      // the age alone changes every minute: report (and notify status listeners) only when something else did
      const report = JSON.stringify([shown, problem?.code, s.source, s.version, s.as_of, s.last_error, s.last_refresh]);
      if (report !== lastReport) {
        lastReport = report;
        status.update('vulnerability_db', { state: shown, ...(problem ? { message: `${problem.code}: ${problem.message}` } : {}), details: s });
      }
      const key = `${state}|${problem?.code ?? ''}`;
      if (key !== lastState) {
        if (lastState !== '') invalidate(); // a decision cached while the data was usable must not outlive it
        lastState = key;
        if (problem !== null) logger.error({ code: problem.code }, `vulnerability data unusable, every decision denies: ${problem.message}`);
      }
    };
    metrics.onCollect(() => setDbMetrics(metrics, dbStatus()));
    vulns?.onStatusChange(reportDb);
    // staleness comes with time alone: look again every minute
    const ageTimer = setInterval(reportDb, 60_000);
    ageTimer.unref();
    const firstData = vulns?.start() ?? Promise.resolve();
    if (options.waitForVulnerabilityData) await firstData;

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
      vulnerabilityProblem: dbProblem,
      scanOptions: { countInformational: dbConfig.count_informational },
      defaultPath: config.decision.paths[0] ?? 'wasm/sbom',
      logger,
    });

    bundles.onActivate(invalidate);
    vulns?.onSwap(invalidate);
    reportDb();

    return {
      decider,
      bundles,
      versions() {
        const bundle = bundles.active();
        if (!bundle) return null;
        // unusable data (stale since the last look, say) is another version: no cached allow is served from before
        const problem = dbProblem();
        return { bundleRevision: bundle.revision, bundleDigest: bundle.digest, trustHash, dbVersion: `${vulns?.version ?? 'none'}${problem ? `!${problem.code}` : ''}` };
      },
      onInvalidate: (hook) => hooks.push(hook),
      dataStatus: () => ({ vulnerability_db: dbStatus() }),
      async stop() {
        clearInterval(ageTimer);
        await bundles.stop();
        await vulns?.stop();
        await collector.close();
      },
    };
  };
}

/** The configured vulnerability database holder, or null when the config names none. */
async function openVulnerabilityDb(config: WasmgateConfig, baseDir: string, logger: Logger): Promise<VulnDatabase | null> {
  const db = config.vulnerability_db;
  if (db.path === null && db.refresh.url === null) {
    if (db.required) logger.error('no vulnerability_db is configured: every decision denies until vulnerability_db.path or refresh.url is set (or vulnerability_db: {required: false})');
    return null;
  }
  return VulnDatabase.open({
    persistenceDirectory: resolveConfigPath(baseDir, config.persistence_directory),
    ...(db.path !== null ? { initialPath: resolveConfigPath(baseDir, db.path) } : {}),
    ...(db.refresh.url !== null ? { url: db.refresh.url } : {}),
    ...(db.refresh.schedule !== null ? { schedule: db.refresh.schedule } : {}),
    maxAgeMs: db.max_age === null ? null : durationMs(db.max_age),
    logger,
  });
}

/** What /v1/status, /health and the metrics say about the vulnerability data. */
function vulnerabilityDbStatus(cfg: VulnerabilityDbConfig, holder: VulnDatabase | null): Record<string, unknown> {
  if (holder === null) {
    return { state: cfg.required ? 'ERROR' : 'OK', required: cfg.required, configured: false, source: null, version: null, records: 0, age_seconds: null, max_age_seconds: null, stale: false };
  }
  return { required: cfg.required, configured: true, ...holder.status() };
}

function setDbMetrics(metrics: Metrics, s: Record<string, unknown>): void {
  const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
  metrics.vulnerabilityDbRecords.set(num(s.records));
  metrics.vulnerabilityDbAge.set(num(s.age_seconds));
  metrics.vulnerabilityDbMaxAge.set(num(s.max_age_seconds));
  metrics.vulnerabilityDbInfo.reset();
  metrics.vulnerabilityDbInfo.labels(String(s.source ?? 'none'), String(s.version ?? 'none'), String(s.state ?? 'ERROR')).set(1);
}
