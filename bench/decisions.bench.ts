/**
 * Warm decision benchmark (issue 10, items 1, 2 and 5): autocannon against a
 * real `wasmgate serve` (child process, embedded default config: demo store,
 * embedded bundle, shipped RustSec DB) over TCP and over its Unix socket, and
 * against a stock `opa run --server` loaded with policies/ (the same Rego, as
 * Rego) that is sent the full input document wasmgate assembled for the same
 * module — what the seed's runtime step would send. Concurrency 1, 16 and 64.
 * The wasmgate question names a digest-pinned ref, so its decision cache
 * answers after the first request (that is the point: the warm path).
 *
 * Writes bench/results/decisions.json, docs/benchmarks-latency.svg and the
 * `decisions` section of docs/benchmarks.md.
 *
 *   . scripts/env.sh && node bench/decisions.bench.ts [--quick]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createLocalDecider } from '../src/cli/runtime.ts';
import { QUICK, ROOT, writeDocSection, writeResult } from './lib/doc.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { childRssMb, freePort, startChild, waitFor } from './lib/procs.ts';
import { fmt } from './lib/stats.ts';
import { latencySvg, type LatencySeries } from './lib/svg.ts';

const DURATION_S = QUICK ? 2 : 6;
const CONCURRENCY = [1, 16, 64];
const TAG = 'payments';

interface Row {
  target: 'wasmgate' | 'opa';
  transport: 'tcp' | 'unix';
  connections: number;
  duration_s: number;
  requests: number;
  decisions_per_s: number;
  p2_5_ms: number;
  p50_ms: number;
  p99_ms: number;
  p99_9_ms: number;
  non_2xx: number;
  errors: number;
  body_bytes: number;
}

async function digestOf(tag: string): Promise<string> {
  const index = JSON.parse(await readFile(join(ROOT, 'demo/store/index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  const m = index.manifests.find((x) => x.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!m) throw new Error(`demo/store has no tag ${tag}`);
  return m.digest;
}

interface CacheStats {
  size: number;
  hits: number;
  misses: number;
}

/** The service's decision cache counters from GET /v1/status (null when it does not report them). */
async function decisionCacheStats(url: string): Promise<CacheStats | null> {
  const j = (await (await fetch(url)).json()) as { result?: { caches?: { decision?: CacheStats } }; caches?: { decision?: CacheStats } };
  const d = j.result?.caches?.decision ?? j.caches?.decision;
  return d && typeof d.hits === 'number' ? { size: d.size, hits: d.hits, misses: d.misses } : null;
}

async function cannon(target: Row['target'], transport: Row['transport'], url: string, body: string, connections: number, socketPath?: string): Promise<Row> {
  const r = await autocannon({
    url,
    ...(socketPath ? { socketPath } : {}),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: DURATION_S,
    workers: 0,
  });
  return {
    target,
    transport,
    connections,
    duration_s: DURATION_S,
    requests: r.requests.total,
    decisions_per_s: Math.round(r.requests.average),
    p2_5_ms: r.latency.p2_5,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    p99_9_ms: r.latency.p99_9,
    non_2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    body_bytes: Buffer.byteLength(body),
  };
}

function cacheNote(c: CacheStats | null): string {
  if (c === null) return 'The service did not report its decision cache counters (`GET /v1/status`), so whether the warm rows were cache hits is not known.';
  const total = c.hits + c.misses;
  const line = `wasmgate's decision cache after the run (\`GET /v1/status\`): ${c.size.toLocaleString('en')} stored ${c.size === 1 ? 'entry' : 'entries'}, ${c.hits.toLocaleString('en')} hits, ${c.misses.toLocaleString('en')} ${c.misses === 1 ? 'miss' : 'misses'}${total > 0 ? ` (${fmt((c.hits / total) * 100)} % hits)` : ''}.`;
  if (c.size > 0 && c.hits >= total * 0.9) return `${line} The warm rows are answered from stored decisions.`;
  return `${line} **The warm rows are not decision-cache hits** (${c.size === 0 ? 'nothing was stored' : 'fewer than 90 % of lookups hit'}): they measure the warm pipeline, not the cache.`;
}

async function main(): Promise<void> {
  const machine = await machineFacts({ opa: true });
  const digest = await digestOf(TAG);
  const ref = `oci:demo/store@${digest}`;

  // The full input document wasmgate assembles for this module (what OPA will be sent).
  const local = await createLocalDecider(undefined);
  const decided = await local.decider.decide({ ref, request: { runtime: 'wasmtime' } });
  await local.close();
  if (!decided.input) throw new Error(`no input was assembled for ${ref}: ${JSON.stringify(decided.errors)}`);
  const wasmgateBody = JSON.stringify({ input: { module: { ref }, request: { runtime: 'wasmtime' } } });
  const opaBody = JSON.stringify({ input: decided.input });

  const dir = await mkdtemp(join(tmpdir(), 'wg-bench-decisions-'));
  const sock = join(dir, 'wasmgate.sock');
  const wgPort = await freePort();
  const opaPort = await freePort();
  await writeFile(join(dir, 'input.json'), opaBody);
  const wasmgate = startChild(process.execPath, [join(ROOT, 'bin/wasmgate.js'), 'serve', '--addr', `127.0.0.1:${wgPort}`, '--unix-socket', sock], {
    cwd: ROOT,
    env: { ...process.env, WASMGATE_LOG_LEVEL: 'error' },
  });
  const opa = startChild('opa', ['run', '--server', '--addr', `127.0.0.1:${opaPort}`, '--log-level', 'error', join(ROOT, 'policies')]);
  const rows: Row[] = [];
  let rss = { wasmgate: Number.NaN, opa: Number.NaN };
  let cacheStats: CacheStats | null = null;
  try {
    const wgUrl = `http://127.0.0.1:${wgPort}/v1/data/wasm/sbom`;
    const opaUrl = `http://127.0.0.1:${opaPort}/v1/data/wasm/sbom`;
    await waitFor('wasmgate serve', async () => (await fetch(`http://127.0.0.1:${wgPort}/health`)).ok).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${wasmgate.stderr()}`);
    });
    await waitFor('opa run --server', async () => (await fetch(`http://127.0.0.1:${opaPort}/health`)).ok);
    // Both answer the same question the same way before anything is timed.
    const wgAnswer = (await (await fetch(wgUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: wasmgateBody })).json()) as { result?: { allow?: unknown } };
    const opaAnswer = (await (await fetch(opaUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: opaBody })).json()) as { result?: { allow?: unknown } };
    if (wgAnswer.result?.allow !== true || opaAnswer.result?.allow !== true) {
      throw new Error(`wasmgate and OPA should both allow ${ref}: wasmgate ${JSON.stringify(wgAnswer).slice(0, 300)}, opa ${JSON.stringify(opaAnswer).slice(0, 300)}`);
    }
    // warm-up (JIT, connection pools)
    await cannon('wasmgate', 'tcp', wgUrl, wasmgateBody, 16, undefined);
    await cannon('opa', 'tcp', opaUrl, opaBody, 16, undefined);
    for (const c of CONCURRENCY) {
      rows.push(await cannon('wasmgate', 'tcp', wgUrl, wasmgateBody, c));
      rows.push(await cannon('wasmgate', 'unix', 'http://localhost/v1/data/wasm/sbom', wasmgateBody, c, sock));
      rows.push(await cannon('opa', 'tcp', opaUrl, opaBody, c));
    }
    rss = { wasmgate: await childRssMb(wasmgate.proc.pid), opa: await childRssMb(opa.proc.pid) };
    cacheStats = await decisionCacheStats(`http://127.0.0.1:${wgPort}/v1/status`);
  } finally {
    await wasmgate.stop();
    await opa.stop();
    await rm(dir, { recursive: true, force: true });
  }

  const ratios = CONCURRENCY.map((c) => {
    const wg = rows.find((r) => r.target === 'wasmgate' && r.transport === 'tcp' && r.connections === c)!;
    const wgUnix = rows.find((r) => r.target === 'wasmgate' && r.transport === 'unix' && r.connections === c)!;
    const o = rows.find((r) => r.target === 'opa' && r.connections === c)!;
    const throughput = wg.decisions_per_s / o.decisions_per_s;
    return {
      connections: c,
      throughput_ratio_tcp: Math.round(throughput * 100) / 100,
      throughput_ratio_unix: Math.round((wgUnix.decisions_per_s / o.decisions_per_s) * 100) / 100,
      p99_ratio_tcp: Math.round((wg.p99_ms / Math.max(o.p99_ms, 0.001)) * 100) / 100,
      goal_met: throughput >= 5 && wg.p99_ms <= o.p99_ms,
    };
  });
  const allMet = ratios.every((r) => r.goal_met);
  const result = { machine, quick: QUICK, ref, input_bytes: Buffer.byteLength(opaBody), decision_cache: cacheStats, goal: 'wasmgate ≥5× the decisions/s of a stock OPA server at equal or lower p99', rss_mb_after: rss, goal_met: allMet, rows, ratios };
  await writeResult('decisions', result);

  const series: LatencySeries[] = rows.map((r) => ({
    label: `${r.target} ${r.transport} c=${r.connections}`,
    p2_5: r.p2_5_ms,
    p50: Math.max(r.p50_ms, 0.01),
    p99: Math.max(r.p99_ms, 0.01),
    p99_9: Math.max(r.p99_9_ms, 0.01),
    colour: r.target === 'opa' ? '#e45756' : r.transport === 'unix' ? '#54a24b' : '#4c78a8',
  }));
  await writeFile(join(ROOT, 'docs', 'benchmarks-latency.svg'), latencySvg('Warm decision latency: wasmgate serve vs stock OPA server (autocannon)', series));

  const table = [
    '| target | transport | connections | decisions/s | p50 (ms) | p99 (ms) | p99.9 (ms) | requests | non-2xx / errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.target} | ${r.transport} | ${r.connections} | ${fmt(r.decisions_per_s)} | ${fmt(r.p50_ms, 2)} | ${fmt(r.p99_ms, 2)} | ${fmt(r.p99_9_ms, 2)} | ${fmt(r.requests)} | ${r.non_2xx} / ${r.errors} |`),
  ].join('\n');
  const ratioLines = ratios
    .map((r) => `| ${r.connections} | **${r.throughput_ratio_tcp}×** | ${r.throughput_ratio_unix}× | ${r.p99_ratio_tcp} | ${r.goal_met ? 'met' : '**not met**'} |`)
    .join('\n');
  await writeDocSection(
    'decisions',
    `## Warm decisions: wasmgate serve vs a stock OPA server

Measured ${machine.date.slice(0, 10)} with \`npm run bench\` (\`node bench/decisions.bench.ts${QUICK ? ' --quick' : ''}\`; ${describeMachine(machine)}).
Raw numbers: \`bench/results/decisions.json\`. autocannon (in the bench process, ${DURATION_S} s per row after a warm-up) against
\`wasmgate serve\` with the embedded default config, asked \`POST /v1/data/wasm/sbom\` about \`${ref.replace(/@sha256:(.{12}).*/, '@sha256:$1…')}\`
(digest-pinned, so after the first request the decision cache answers), over TCP and over the Unix socket; and against \`opa run --server\` with
\`policies/\` (the same Rego), sent the full ${fmt(Buffer.byteLength(opaBody) / 1024)} KiB input document wasmgate assembled for that module —
what a runtime calling OPA itself would send. Both answered \`allow: true\` before timing started.

${table}

![latency distributions](benchmarks-latency.svg)

| connections | wasmgate/OPA decisions/s (TCP) | (Unix socket) | p99 wasmgate ÷ p99 OPA (TCP) | goal: ≥5× the decisions/s at ≤ OPA's p99 (TCP) |
|---|---:|---:|---:|---|
${ratioLines}

Goal (issue 10): wasmgate serves ≥5× the decisions/s of the stock OPA server at an equal or lower p99, at concurrency 1, 16 and 64.
${allMet ? 'As measured, the goal is **met** at every concurrency.' : `As measured, the goal is **not met** at concurrency ${ratios.filter((r) => !r.goal_met).map((r) => r.connections).join(', ')} (met at ${ratios.filter((r) => r.goal_met).map((r) => r.connections).join(', ') || 'none'}).`}
${cacheNote(cacheStats)}
autocannon reports latencies in whole milliseconds (0 = under 1 ms); the plot draws them at 0.01 ms.
Resident memory after the run: wasmgate ${fmt(rss.wasmgate)} MiB, opa ${fmt(rss.opa)} MiB. The load generator shares the 2 cores with the
server under test, so absolute figures are lower than on a dedicated machine; the ratio is measured under the same conditions for both.`,
  );
  console.table(rows);
  console.table(ratios);
}

await main();
