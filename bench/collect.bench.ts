/**
 * Evidence collection benchmark: COLD collection (new collector: no content cache, no pooled connections,
 * no token) of a module with three referrers (cosign v3 sign + two attestations) from a loopback registry.
 * Target: under 30 ms. Also measured: the same over the referrers-tag fallback (docker-registry) and a warm
 * collector (connections and content cache reused).
 *
 * Run: `. scripts/env.sh && node bench/collect.bench.ts`
 * Writes bench/results/collect.json and the `## Evidence collection` section of docs/benchmarks.md
 * (between `<!-- collect:begin -->` and `<!-- collect:end -->`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { collectEvidence, createCollector } from '../src/collect/index.ts';
import { anonymousCredentials } from '../src/registry/index.ts';
import { createCosignKey, publishSignedModule } from '../test/support/evidence.ts';
import { startDockerRegistry, startTestRegistry } from '../test/support/registries.ts';

const ROOT = join(import.meta.dirname, '..');
const TARGET_MS = 30;
const RUNS = 40;
const WARMUP = 5;

const stats = (xs: number[]): { median: number; p95: number; min: number; mean: number } => {
  const s = [...xs].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return {
    median: round(s[Math.floor(s.length / 2)] as number),
    p95: round(s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] as number),
    min: round(s[0] as number),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
};

async function measureCold(ref: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t0 = performance.now();
    const c = await collectEvidence(ref, { registry: { credentials: anonymousCredentials } });
    const dt = performance.now() - t0;
    if (c.evidence.length !== 3) throw new Error(`expected 3 pieces of evidence, got ${c.evidence.length}`);
    if (i >= WARMUP) times.push(dt);
  }
  return times;
}

async function measureWarm(ref: string): Promise<number[]> {
  const collector = createCollector({ registry: { credentials: anonymousCredentials } });
  const times: number[] = [];
  try {
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t0 = performance.now();
      await collector.collect(ref);
      if (i >= WARMUP) times.push(performance.now() - t0);
    }
  } finally {
    await collector.close();
  }
  return times;
}

const key = await createCosignKey();
const api = await startTestRegistry({ referrers: true });
const fallback = await startDockerRegistry();
try {
  const modApi = await publishSignedModule({ registry: api.host, key });
  const modFallback = await publishSignedModule({ registry: fallback.host, key });
  const coldApi = stats(await measureCold(modApi.ref));
  const coldFallback = stats(await measureCold(modFallback.ref));
  const warmApi = stats(await measureWarm(modApi.ref));
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    runs: RUNS,
    target_ms: TARGET_MS,
    cold_referrers_api_ms: coldApi,
    cold_referrers_tag_fallback_ms: coldFallback,
    warm_referrers_api_ms: warmApi,
    target_met: coldApi.median < TARGET_MS,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/collect.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));

  const section = [
    '<!-- collect:begin -->',
    '## Evidence collection',
    '',
    `Measured ${result.date.slice(0, 10)} with \`. scripts/env.sh && node bench/collect.bench.ts\` (Node ${result.node}, ${result.cpu}; shared machine). Raw numbers: \`bench/results/collect.json\`.`,
    '',
    'One module (wasm artifact pushed by oras) with three referrers written by cosign v3 (`sign` + CycloneDX and custom',
    '`attest`, key-based, offline), on a registry on 127.0.0.1. *Cold* = a new collector per run: no content cache, no',
    'pooled connections; each run resolves the manifest, lists referrers, fetches three referrer manifests and three',
    'bundle blobs (plus the three legacy-tag probes), and checks every digest.',
    '',
    '| what | median | p95 | min |',
    '|---|---|---|---|',
    `| cold, referrers API (wasmgate-testregistry) — target < ${TARGET_MS} ms: ${result.target_met ? 'met' : 'NOT met'} | ${coldApi.median} ms | ${coldApi.p95} ms | ${coldApi.min} ms |`,
    `| cold, referrers-tag fallback (docker-registry 2.8) | ${coldFallback.median} ms | ${coldFallback.p95} ms | ${coldFallback.min} ms |`,
    `| warm collector (connections + content cache reused), referrers API | ${warmApi.median} ms | ${warmApi.p95} ms | ${warmApi.min} ms |`,
    '',
    `${RUNS} runs each after ${WARMUP} warm-up runs. Referrer manifests and blobs are fetched 8 at a time.`,
    '<!-- collect:end -->',
  ].join('\n');
  const docPath = join(ROOT, 'docs/benchmarks.md');
  let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const re = /<!-- collect:begin -->[\s\S]*?<!-- collect:end -->/;
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(docPath, doc);
} finally {
  await Promise.all([api.stop(), fallback.stop()]);
}
