/**
 * Scale benchmark (issue 10, item 4):
 *  - 1,000 distinct modules (an OCI layout written to disk, so no registry is
 *    involved) decided through the real pipeline wiring (embedded default config:
 *    demo trust, embedded bundle, whole RustSec DB) behind the decision cache;
 *    then RSS, and the p99 of warm (cached) decisions. Goal: RSS < 250 MB.
 *  - a 10,000-component CycloneDX SBOM attestation (cosign, key-based) in a
 *    loopback registry: collect + verify + match + evaluate, with the stage timers.
 *  - the whole RustSec DB loaded: time and heap.
 *
 * Writes bench/results/scale.json and the `scale` section of docs/benchmarks.md.
 *
 *   . scripts/env.sh && node --expose-gc bench/scale.bench.ts [--quick]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOsvDatabase } from '../src/analyse/vulns/database.ts';
import { VulnDatabase } from '../src/analyse/vulns/holder.ts';
import { createSilentLogger } from '../src/common/logger.ts';
import { createCollector } from '../src/collect/index.ts';
import { loadConfig } from '../src/config/load.ts';
import { createDecisionCache, withDecisionCache } from '../src/decide/cache.ts';
import { createPipelineDecider } from '../src/decide/pipeline.ts';
import type { Decider } from '../src/decide/types.ts';
import { embeddedBundlePath, loadBundleFile } from '../src/policy/engine/index.ts';
import { createPipelineWiring } from '../src/wiring/pipeline-wiring.ts';
import { createMetrics } from '../src/status/metrics.ts';
import { createStatusRegistry } from '../src/status/registry.ts';
import { loadTrustPolicy } from '../src/verify/trust/load.ts';
import { cosignAttest, createCosignKey, pushWasmModule } from '../test/support/evidence.ts';
import { startTestRegistry } from '../test/support/registries.ts';
import { cycloneDx, lockPackages } from './engine-input.ts';
import { QUICK, ROOT, writeDocSection, writeResult } from './lib/doc.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { writeModuleLayout } from './lib/layout.ts';
import { fmt, rssMb, summarize, timeMs } from './lib/stats.ts';

const MODULES = 1000;
const WARM_LOOKUPS = QUICK ? 5000 : 20000;
const SBOM_COMPONENTS = 10_000;
const DB = join(ROOT, 'demo/osv/rustsec-osv-all.zip');
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function thousandModules(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'wg-bench-scale-'));
  try {
    const digests = await writeModuleLayout(join(dir, 'store'), MODULES);
    gc();
    const rssStart = rssMb();
    const { config } = await loadConfig(undefined);
    // the service reads oci: layouts only under registries.layouts
    config.registries.layouts = [join(dir, 'store')];
    const cache = createDecisionCache({ ttlMs: 3600_000, maxEntries: 10_000 });
    const wiring = await createPipelineWiring({ baseDir: ROOT })({ config, metrics: createMetrics({ defaultMetrics: false }), status: createStatusRegistry(), logger: createSilentLogger(), decisionCache: cache });
    gc();
    const rssWired = rssMb();
    // keyed exactly as the service keys it: the wiring's own versions()
    const decider: Decider = withDecisionCache(wiring.decider, cache, () => wiring.versions());
    const refs = digests.map((d) => `oci:${join(dir, 'store')}@${d}`);
    const first = await decider.decide({ ref: refs[0]! });
    const coldTimes: number[] = [];
    let denied = 0;
    for (const ref of refs) {
      let allow = false;
      coldTimes.push(await timeMs(async () => ((allow = (await decider.decide({ ref })).allow), undefined)));
      if (!allow) denied++;
    }
    const cached = cache.stats().size;
    gc();
    const rssAfter = rssMb();
    const heapAfter = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
    const warm: number[] = [];
    let hits = 0;
    for (let i = 0; i < WARM_LOOKUPS; i++) {
      const ref = refs[(i * 7919) % refs.length]!;
      const t0 = process.hrtime.bigint();
      const d = await decider.decide({ ref });
      warm.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (d.cached) hits++;
    }
    await wiring.stop?.();
    return {
      modules: MODULES,
      first_decision_errors: first.errors,
      decisions_denied: denied,
      cached_entries: cached,
      rss_mb: { start: rssStart, wired: rssWired, after_1000_cached: rssAfter },
      heap_used_mb_after: heapAfter,
      cold_ms: summarize(coldTimes),
      warm_ms: summarize(warm),
      warm_hits: hits,
      // the goal is RSS with 1,000 decisions cached: only met when they really were cached
      goal_met: rssAfter < 250 && cached >= MODULES,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function bigSbom(): Promise<Record<string, unknown>> {
  const registry = await startTestRegistry();
  const work = await mkdtemp(join(tmpdir(), 'wg-bench-bigsbom-'));
  try {
    const key = await createCosignKey(join(work, 'key'));
    const pushed = await pushWasmModule({ registry: registry.host, repository: 'bench/big' });
    const base = lockPackages(1000);
    const pkgs = Array.from({ length: SBOM_COMPONENTS }, (_, i) => {
      const p = base[i % base.length]!;
      return i < base.length ? p : { ...p, version: `${Math.floor(i / base.length)}.${i % base.length}.99` };
    });
    const predicate = join(work, 'sbom-10k.json');
    await writeFile(predicate, JSON.stringify(cycloneDx(pkgs)));
    await cosignAttest(pushed.ref, { key, predicate, type: 'cyclonedx' });
    const trust = loadTrustPolicy({ keys: [{ id: 'bench', path: key.pub }] });
    const bundle = await loadBundleFile(embeddedBundlePath(), { name: 'default' });
    const vulns = await VulnDatabase.open({ persistenceDirectory: join(work, 'state'), initialPath: DB });
    const runs = QUICK ? 2 : 4;
    const samples: number[] = [];
    const stages: Array<Record<string, number>> = [];
    let matches = 0;
    let components = 0;
    for (let i = 0; i < runs + 1; i++) {
      const collector = createCollector({ registry: { allowedHosts: [registry.host], insecureHosts: [registry.host], limits: { manifestBytes: 4 << 20, blobBytes: 128 << 20 } }, limits: { maxEvidenceBytes: 64 << 20 } });
      const decider = createPipelineDecider({ collector, trust: () => trust, bundle: () => bundle, vulnerabilities: () => vulns.current, vulnerabilityProblem: () => null, defaultPath: 'wasm/sbom' });
      const t0 = process.hrtime.bigint();
      const d = await decider.decide({ ref: pushed.ref, deadlineMs: 60_000 });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      await collector.close();
      if (d.errors.length > 0) throw new Error(`10k SBOM decision failed: ${JSON.stringify(d.errors)}`);
      if (i === 0) continue; // warm-up
      samples.push(ms);
      stages.push(Object.fromEntries(Object.entries(d.metrics).map(([k, v]) => [k.replace(/^timer_|_ns$/g, ''), Math.round(v / 1e4) / 100])));
      matches = d.input?.vulnerability_scan.matches.length ?? 0;
      components = (d.input?.sbom_attestations[0]?.predicate as { components?: unknown[] } | undefined)?.components?.length ?? 0;
    }
    await vulns.stop();
    const median = stages[Math.floor(stages.length / 2)] ?? {};
    return { components, matches, decision_ms: summarize(samples), stage_ms_of_median_run: median };
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function wholeDb(): Promise<Record<string, unknown>> {
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const times: number[] = [];
  let info: Record<string, unknown> = {};
  let keep: unknown = null;
  for (let i = 0; i < (QUICK ? 2 : 5); i++) {
    keep = null;
    gc();
    times.push(await timeMs(async () => {
      const db = await loadOsvDatabase(DB);
      info = { records: db.info.records, build_ms: db.info.build_ms, version: db.info.version };
      keep = db;
    }));
  }
  gc();
  const heapMb = Math.round(((process.memoryUsage().heapUsed - heap0) / 2 ** 20) * 10) / 10;
  const zipBytes = (await readFile(DB)).byteLength;
  return { ...info, zip_kb: Math.round(zipBytes / 1024), load_ms: summarize(times), heap_retained_mb: heapMb, held: keep !== null };
}

async function main(): Promise<void> {
  const machine = await machineFacts({ cosign: true });
  // the 1,000 modules first, so their RSS is not inflated by the other measurements
  const modules = await thousandModules();
  const db = await wholeDb();
  const sbom = await bigSbom();
  await writeResult('scale', { machine, quick: QUICK, modules, sbom_10k: sbom, rustsec: db });
  const m = modules as { rss_mb: { start: number; wired: number; after_1000_cached: number }; cold_ms: { p50: number; p99: number }; warm_ms: { p50: number; p99: number; n: number }; cached_entries: number; goal_met: boolean; decisions_denied: number; warm_hits: number };
  const s = sbom as { components: number; matches: number; decision_ms: { p50: number; p95: number; n: number }; stage_ms_of_median_run: Record<string, number> };
  const d = db as { records: number; zip_kb: number; load_ms: { p50: number }; heap_retained_mb: number; build_ms: number };
  const stages = Object.entries(s.stage_ms_of_median_run).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
  await writeDocSection(
    'scale',
    `## Scale

Measured ${machine.date.slice(0, 10)} with \`npm run bench\` (\`node --expose-gc bench/scale.bench.ts${QUICK ? ' --quick' : ''}\`; ${describeMachine(machine)}).
Raw numbers: \`bench/results/scale.json\`.

| what | result |
|---|---|
| 1,000 distinct modules (OCI layout on disk, unsigned: each a deny with reasons) decided through the real pipeline wiring + decision cache | ${m.cached_entries.toLocaleString('en')} cached; first decisions p50 ${fmt(m.cold_ms.p50)} ms, p99 ${fmt(m.cold_ms.p99)} ms |
| RSS: process start → wired (bundle, trust, RustSec DB) → 1,000 decided | ${fmt(m.rss_mb.start)} → ${fmt(m.rss_mb.wired)} → **${fmt(m.rss_mb.after_1000_cached)} MiB** — goal (issue 10) < 250 MiB with 1,000 cached: **${m.goal_met ? 'met' : 'not met'}** |
| warm (cached) decisions over the 1,000, in-process | p50 ${fmt(m.warm_ms.p50, 3)} ms, p99 **${fmt(m.warm_ms.p99, 3)} ms** (n = ${fmt(m.warm_ms.n)}) |
| a ${s.components.toLocaleString('en')}-component CycloneDX attestation (cosign, key) from a loopback registry: collect + verify + match + evaluate | p50 ${fmt(s.decision_ms.p50)} ms, p95 ${fmt(s.decision_ms.p95)} ms (n = ${s.decision_ms.n}); ${s.matches.toLocaleString('en')} matches; stages (ms): ${stages} |
| the whole RustSec DB (${fmt(d.zip_kb)} KiB zip, ${fmt(d.records)} advisories) loaded | p50 ${fmt(d.load_ms.p50)} ms; ~${fmt(d.heap_retained_mb)} MiB heap retained |
${(s.stage_ms_of_median_run['wasmgate_scan'] ?? 0) > 1000 ? `
**The 10,000-component SBOM is not handled within a decision's budget**: the scan stage (reading the SBOM's components,
then matching) takes ${fmt(s.stage_ms_of_median_run['wasmgate_scan'] ?? 0)} ms, while matching 10,000 components alone takes
milliseconds (see Vulnerability matching). The time goes to reading the CycloneDX document (\`componentsFromSbom\`, which
validates it against the CycloneDX JSON schema; the schema's \`uniqueItems\` on \`components\`/\`dependencies\` is quadratic
in ajv). A \`wasmgate serve\` with the default 900 ms deadline fails closed (deny, \`timeout\`) on such an SBOM. Reported to the lead.
` : ''}${m.cached_entries < MODULES ? `
**Only ${m.cached_entries.toLocaleString('en')} of the ${MODULES.toLocaleString('en')} decisions were stored by the decision cache** (keyed by the wiring's own
\`versions()\`), so the RSS figure is not "with 1,000 cached" and the goal is reported as not met.
` : `
The decision cache is keyed by the wiring's own \`versions()\`, as in \`wasmgate serve\`; ${fmt(m.warm_hits)} of the ${fmt(m.warm_ms.n)} warm lookups were cache hits.
`}`,
  );
  console.log(JSON.stringify({ modules, sbom, db }, null, 2));
}

await main();
