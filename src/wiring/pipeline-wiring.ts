import { VulnDatabase } from '../analyse/vulns/holder.ts';
import { createCollector, type Collector, type CollectorOptions } from '../collect/collect.ts';
import type { WasmgateConfig } from '../config/types.ts';
import type { Decider } from '../decide/types.ts';
import { collectorOptionsFromConfig } from '../collect/from-config.ts';
import { resolveConfigPath } from '../common/paths.ts';
import { configHash, type DecisionVersions } from '../decide/cache.ts';
import { createSharedCache } from '../cache/shared/index.ts';
import { createPipelineDecider } from '../decide/pipeline.ts';
import { BUNDLE_COMPONENT, createBundleManager, type BundleManagerOptions } from '../policy/bundles/index.ts';
import { loadTrustPolicy } from '../verify/trust/load.ts';
import type { TrustPolicy } from '../verify/trust/policy.ts';
import { TufRootRefresher, tufSettingsFromConfig, type TufTrustedRoot } from '../verify/trust/tuf.ts';
import type { ErrorEntry } from '../contract/input-v1.ts';
import type { Logger } from '../common/logger.ts';
import { durationMs } from '../config/duration.ts';
import type { VulnerabilityDbConfig } from '../config/types.ts';
import type { Metrics } from '../status/metrics.ts';
import type { ComponentState, ComponentStatus } from '../status/types.ts';
import { createComponentManager, type StagedChange } from '../status/lifecycle.ts';
import { createMemoryVerificationStore, createVerificationCache } from '../verify/cache.ts';
import { createEvaluationPool } from '../policy/pool/pool.ts';
import { RELOADABLE, type ServiceWiring, type Wire } from '../server/wiring.ts';

export interface PipelineWiringOptions {
  /** relative paths in the config (trust keys and roots, the vulnerability DB, the persistence directory) resolve from here */
  baseDir: string;
  /** bundle source overrides by name (tests, embedding) */
  bundleSources?: BundleManagerOptions['sources'];
  /** collector options instead of the config's `registries:` (`wasmgate evidence` flags) */
  collectorOptions?: CollectorOptions;
  /**
   * Wait for the vulnerability database's first download (when nothing usable is on disk) before answering: what a
   * one-shot command (`wasmgate check`) needs. A server starts at once and denies until the data is there.
   */
  waitForVulnerabilityData?: boolean;
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

    // verification outcomes by content (evidence digests, subject, trust hash): a tag re-asked, or another
    // request context for the same module, does not re-verify the same bytes
    const verificationEntries = config.decision.cache.verification_entries;
    // Fleet mode: verification results, scans and digest-pinned decisions shared with the other sidecars through Redis.
    const shared = config.cache.shared
      ? createSharedCache(config.cache.shared, { logger, metrics, status, resolvePath: (p) => resolveConfigPath(options.baseDir, p) })
      : null;
    const verification = verificationEntries > 0 || shared ? createVerificationCache({
      maxEntries: verificationEntries,
      ...(shared ? { store: shared.verificationStore(verificationEntries > 0 ? createMemoryVerificationStore(verificationEntries) : null) } : {}),
      onLookup: (hit) => (hit ? metrics.cacheHits : metrics.cacheMisses).labels('verification').inc(),
    }) : null;
    // uncached evaluations on worker threads: a long one does not hold up cached answers on the event loop
    const evalConfig = config.decision.evaluation;
    const pool = evalConfig.threads === 0 ? null : createEvaluationPool({
      ...(evalConfig.threads !== null ? { threads: evalConfig.threads } : {}),
      maxQueue: evalConfig.max_queue,
      niceIncrement: evalConfig.nice,
      onEvent: (event) => metrics.evaluationPool.labels(event).inc(),
      logger,
    });

    // What a reload can swap: trust, registries (the collector) and the vulnerability database. One generation
    // answers each decision from start to end: a reload builds the next one beside it, then swaps the pointer.

    // The vulnerability data fails closed: missing, unloadable or stale data is an evidence error (denies) unless
    // the operator said `required: false`.
    const dbProblem = (g: Generation): ErrorEntry | null => {
      if (!g.config.vulnerability_db.required) return null;
      if (g.vulns === null) {
        return {
          code: 'vulnerability_db_unavailable',
          message: 'no vulnerability database is configured: set vulnerability_db.path (an OSV directory or export zip) or vulnerability_db.refresh.url, or decide without one with vulnerability_db: {required: false}',
        };
      }
      return g.vulns.problem();
    };
    const dbStatus = (g: Generation): Record<string, unknown> => vulnerabilityDbStatus(g.config.vulnerability_db, g.vulns);
    // The long-lived parts (OPA's plugins) start in the order added (dependencies first) and stop in reverse;
    // each reports its status. A failing start stops what started and fails the wiring.
    const components = createComponentManager<WasmgateConfig>({ status, logger });
    const dbComponentStatus = (g: Generation): ComponentStatus => {
      const s = dbStatus(g);
      const problem = dbProblem(g);
      const state = (s.state as ComponentState | undefined) ?? 'ERROR';
      // required: unusable data is an ERROR (decisions deny); not required: a WARN (decisions go on without it)
      const shown: ComponentState = problem !== null ? 'ERROR' : !g.config.vulnerability_db.required && state === 'ERROR' ? 'WARN' : state;
      return { state: shown, ...(problem ? { message: `${problem.code}: ${problem.message}` } : {}), details: s };
    };
    let lastState = '';
    let lastReport = '';
    const reportDb = (): void => {
      if (current === undefined) return;
      const g = current;
      const shown = dbComponentStatus(g);
      const s = shown.details!;
      const problem = dbProblem(g);
      const state = (s.state as ComponentState | undefined) ?? 'ERROR';
      // the age alone changes every minute: report (and notify status listeners) only when something else did
      const report = JSON.stringify([shown.state, problem?.code, s.source, s.version, s.as_of, s.last_error, s.last_refresh]);
      if (report !== lastReport) {
        lastReport = report;
        status.update('vulnerability_db', shown);
      }
      const key = `${state}|${problem?.code ?? ''}`;
      if (key !== lastState) {
        if (lastState !== '') invalidate(); // a decision cached while the data was usable must not outlive it
        lastState = key;
        if (problem !== null) logger.error({ code: problem.code }, `vulnerability data unusable, every decision denies: ${problem.message}`);
      }
    };
    const openDb = async (c: WasmgateConfig): Promise<VulnDatabase | null> => {
      const vulns = await openVulnerabilityDb(c, options.baseDir, logger);
      vulns?.onStatusChange(() => {
        if (current?.vulns === vulns) reportDb(); // a replaced database no longer reports
      });
      vulns?.onSwap(() => {
        if (current?.vulns === vulns) invalidate();
      });
      return vulns;
    };
    // trust.tuf: the public-good root refreshed over TUF; the shipped copy until a refresh verifies.
    let refreshedRoot: TufTrustedRoot | null = null;
    const trustOf = (c: WasmgateConfig): { trust: TrustPolicy; trustHash: string } => ({
      trust: loadTrustPolicy(c.trust, { baseDir: options.baseDir, ...(refreshedRoot !== null && { publicGoodRoot: refreshedRoot.root }) }),
      trustHash: configHash(refreshedRoot === null ? c.trust : { trust: c.trust, trusted_root_sha256: refreshedRoot.sha256 }),
    });

    const build = async (c: WasmgateConfig, reuseDb: Generation['vulns'] | undefined): Promise<Generation> => {
      const { trust, trustHash } = trustOf(c);
      if (trust.unscoped.length > 0) {
        logger.warn({ entries: trust.unscoped }, `${trust.unscoped.join(', ')}: no roles:, so each may sign SBOMs, provenance and signatures; add roles: [sbom, provenance, signature] (the ones each signer may vouch for) to narrow them`);
      }
      const vulns = reuseDb !== undefined ? reuseDb : await openDb(c);
      const collector = createCollector(options.collectorOptions ?? collectorOptionsFromConfig(c, options.baseDir, logger, metrics, { confineLayouts: options.confineLayouts ?? true }));
      const decider = createPipelineDecider({
        collector,
        ...(verification ? { verify: (collected, t, opts) => verification.verify(collected, t, opts) } : {}),
        ...(pool ? { evaluate: (bundle, path, input, document) => pool.evaluate(bundle, path, input, document) } : {}),
        // a TUF root rotation swaps the generation's trust in place (validated first)
        trust: () => gen.trust,
        bundle: (path) => bundles.activeFor(path),
        bundleProblems: () => {
          const refused = Object.values(bundles.status()).filter((b) => b.active_revision === undefined && b.errors !== undefined && b.errors.length > 0);
          return refused.length === 0 ? undefined : refused.map((b) => `bundle ${b.name} was refused: ${b.errors!.map((e) => `${e.code}: ${e.message}`).join('; ')}`).join('; ');
        },
        vulnerabilities: () => vulns?.current ?? null,
        ...(shared ? { scanComponents: shared.scanner() } : {}),
        vulnerabilityProblem: () => dbProblem(gen),
        scanOptions: { countInformational: c.vulnerability_db.count_informational },
        defaultPath: c.decision.paths[0] ?? 'wasm/sbom',
        logger,
      });
      const gen: Generation = { config: c, trust, trustHash, collector, vulns, decider };
      return gen;
    };

    // A reload builds (and validates) the next generation beside the running one; it is committed only when every
    // component staged its change. In-flight decisions hold the previous generation: its resources close after them.
    const stageReload = async (next: WasmgateConfig): Promise<StagedChange | null> => {
      const prev = now();
      const changed = RELOADABLE.filter((k) => configHash(prev.config[k]) !== configHash(next[k]));
      if (changed.length === 0) return null;
      const dbChanged = changed.includes('vulnerability_db');
      // a trust or database error throws here and leaves the running generation in place
      const gen = await build(next, dbChanged ? undefined : prev.vulns);
      return {
        applied: changed,
        commit() {
          current = gen;
          if (dbChanged) void gen.vulns?.start();
          reportDb();
          invalidate();
          const grace = prev.config.decision.deadline_ms * 2 + 1000;
          setTimeout(() => {
            prev.collector.close().catch((err: unknown) => logger.warn({ err }, 'closing the previous collector failed'));
            if (dbChanged) prev.vulns?.stop().catch((err: unknown) => logger.warn({ err }, 'stopping the previous vulnerability database failed'));
          }, grace).unref();
        },
        async discard() {
          await gen.collector.close();
          if (dbChanged) await gen.vulns?.stop();
        },
      };
    };

    let current: Generation | undefined;
    current = await build(config, undefined);
    metrics.onCollect(() => setDbMetrics(metrics, dbStatus(now())));
    // the generation a reload swaps (trust, registries, database) and the evaluation pool: reported by their parts
    components.add({
      name: 'pipeline',
      start: async () => undefined,
      async stop() {
        await now().collector.close();
        await pool?.close();
      },
      reconfigure: stageReload,
    });
    let ageTimer: NodeJS.Timeout | undefined;
    components.add({
      name: 'vulnerability_db',
      async start() {
        // staleness comes with time alone: look again every minute
        ageTimer = setInterval(reportDb, 60_000);
        ageTimer.unref();
        const firstData = now().vulns?.start() ?? Promise.resolve();
        if (options.waitForVulnerabilityData) await firstData;
        reportDb();
      },
      async stop() {
        clearInterval(ageTimer);
        await now().vulns?.stop();
      },
      status: () => dbComponentStatus(now()),
    });
    const tufSettings = tufSettingsFromConfig(config.trust, options.baseDir);
    if (tufSettings !== undefined) {
      const rootStatus = (): ComponentStatus => {
        const s = tuf.status();
        return { state: 'OK', ...(s.last_error !== null && { message: s.last_error }), details: { ...s } };
      };
      const report = (): void => status.update('trusted_root', rootStatus());
      const tuf: TufRootRefresher = new TufRootRefresher({
        settings: tufSettings,
        logger,
        onRoot: (refreshed) => {
          // validated before the swap; a decision in flight keeps the trust it started with
          refreshedRoot = refreshed;
          const g = current!;
          Object.assign(g, trustOf(g.config));
          invalidate();
        },
        onRefreshed: report,
      });
      components.add({
        name: 'trusted_root',
        start: async () => {
          report();
          tuf.start();
        },
        stop: () => tuf.stop(),
        status: rootStatus,
      });
    }
    components.add({
      name: BUNDLE_COMPONENT,
      start: () => bundles.start(),
      stop: () => bundles.stop(),
      status: () => (bundles.ready() ? { state: 'OK' } : { state: 'NOT_READY', message: 'waiting for the first activation of every bundle' }),
    });
    bundles.onActivate(invalidate);
    const now = (): Generation => current!;
    const versions = (): DecisionVersions | null => {
      const bundle = bundles.active();
      if (!bundle) return null;
      const g = now();
      // unusable data (stale since the last look, say) is another version: no cached allow is served from before
      const problem = dbProblem(g);
      return { bundleRevision: bundle.revision, bundleDigest: bundle.digest, trustHash: g.trustHash, dbVersion: `${g.vulns?.version ?? 'none'}${problem ? `!${problem.code}` : ''}` };
    };
    if (shared) components.add({ name: 'shared_cache', start: async () => undefined, stop: () => shared.close(), status: () => status.snapshot().plugins.shared_cache ?? { state: 'NOT_READY' } });
    await components.start();
    const local: Decider = { decide: (req, signal) => now().decider.decide(req, signal) };

    return {
      decider: shared ? shared.wrap(local, versions, config.decision.paths[0] ?? 'wasm/sbom') : local,
      bundles,
      versions,
      cacheStats: () => ({
        ...(verification ? { verification: verification.stats() } : {}),
        ...(pool ? { evaluation_pool: pool.stats() } : {}),
        ...(shared ? { shared: shared.stats() } : {}),
      }),
      async resolveRef(ref, signal) {
        const r = await now().collector.resolve?.(ref, signal ? { signal } : {});
        return r ? r.pinned : null;
      },
      onInvalidate: (hook) => hooks.push(hook),
      reconfigure: (next) => components.stage(next),
      dataStatus: () => ({ vulnerability_db: dbStatus(now()) }),
      stop: () => components.stop(),
    };
  };
}

interface Generation {
  config: WasmgateConfig;
  trust: TrustPolicy;
  trustHash: string;
  collector: Collector;
  vulns: VulnDatabase | null;
  decider: Decider;
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
