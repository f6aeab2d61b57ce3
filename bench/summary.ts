/**
 * The goals table at the top of docs/benchmarks.md, generated from
 * bench/results/*.json (never typed by hand). scripts/bench.sh runs it after
 * the benchmarks; it only reads results, so it is quick to run on its own:
 *
 *   . scripts/env.sh && node bench/summary.ts
 *
 * A result file that is missing (benchmark never run) gives a "not measured" row.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, writeDocSection } from './lib/doc.ts';
import { fmt } from './lib/stats.ts';

const MARKER = 'summary';

interface GoalRow {
  issue: string;
  goal: string;
  measured: string;
  status: string;
  source: string;
}

async function result<T>(name: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(join(ROOT, 'bench', 'results', `${name}.json`), 'utf8')) as T;
  } catch {
    return null;
  }
}

const verdict = (met: boolean): string => (met ? 'met' : '**not met**');
const day = (iso: string | undefined): string => (iso ? iso.slice(0, 10) : 'unknown date');
const notMeasured = (issue: string, goal: string, name: string): GoalRow => ({ issue, goal, measured: 'not measured (no result file)', status: '**not measured**', source: `${name}.json` });

interface EngineRow { what: string; input: string; p50_us: number }
interface EngineResult { env: { date: string }; rows: EngineRow[] }

function engineGoal(r: EngineResult | null): GoalRow {
  const goal = 'policy evaluation (opa-wasm engine, `data.wasm.sbom`) compared with OPA on the same Rego and input';
  if (!r) return notMeasured('2', goal, 'engine');
  const big = r.rows.find((x) => x.what.startsWith('engine evaluate `wasm/sbom`') && x.input.startsWith('realistic'));
  const bench = r.rows.find((x) => x.what.startsWith('opa bench `data.wasm.sbom`') && x.input.startsWith('realistic'));
  const oneShot = r.rows.find((x) => x.what.startsWith('opa eval `data.wasm.sbom`'));
  if (!big || !bench || !oneShot) return { issue: '2', goal, measured: 'result file lacks the comparison rows', status: '**not measured**', source: 'engine.json' };
  const vsBench = bench.p50_us / big.p50_us;
  const vsEval = oneShot.p50_us / big.p50_us;
  const faster = (x: number): string => (x >= 1 ? `${fmt(x, 2)}× faster` : `${fmt(1 / x, 2)}× slower`);
  return {
    issue: '2',
    goal,
    measured: `engine p50 ${fmt(big.p50_us / 1000, 2)} ms on the realistic input: ${faster(vsBench)} than \`opa bench\` (${fmt(bench.p50_us / 1000, 2)} ms, input parsed outside its timer), ${faster(vsEval)} than one \`opa eval\` per decision (${fmt(oneShot.p50_us / 1000)} ms)`,
    status: vsBench >= 1 ? 'engine faster than OPA' : '**engine slower than OPA**',
    source: `engine.json (${day(r.env.date)})`,
  };
}

interface CollectResult { date: string; target_ms: number; target_met: boolean; cold_referrers_api_ms: { median: number; p95: number } }

function collectGoal(r: CollectResult | null): GoalRow {
  const goal = 'cold evidence collection (referrers API, loopback registry) < 30 ms';
  if (!r) return notMeasured('3', goal, 'collect');
  return {
    issue: '3',
    goal: `cold evidence collection (referrers API, loopback registry) < ${r.target_ms} ms`,
    measured: `median ${fmt(r.cold_referrers_api_ms.median, 2)} ms (p95 ${fmt(r.cold_referrers_api_ms.p95, 2)} ms)`,
    status: verdict(r.target_met),
    source: `collect.json (${day(r.date)})`,
  };
}

interface VulnsResult { date: string; match_10k: { components: number; median_ms: number; p95_ms: number; target_ms: number; within_target: boolean } }

function vulnsGoal(r: VulnsResult | null): GoalRow {
  const goal = 'match a 10,000-component SBOM against the RustSec DB < 50 ms';
  if (!r) return notMeasured('5', goal, 'vulns');
  const m = r.match_10k;
  return {
    issue: '5',
    goal: `match a ${m.components.toLocaleString('en')}-component SBOM against the RustSec DB < ${m.target_ms} ms`,
    measured: `median ${fmt(m.median_ms, 2)} ms (p95 ${fmt(m.p95_ms, 2)} ms)`,
    status: verdict(m.within_target),
    source: `vulns.json (${day(r.date)})`,
  };
}

interface ServerRow { transport: string; requests_per_s: number; p99_ms: number; target_met?: boolean }
interface ServerResult { machine?: { date: string }; date?: string; target_decisions_per_s?: number; target_p99_ms?: number; rows: ServerRow[] }

function serverGoal(r: ServerResult | null): GoalRow {
  const goal = 'service frame: ≥10,000 decisions/s and p99 < 2 ms at concurrency 16, TCP and Unix socket';
  if (!r) return notMeasured('6', goal, 'server');
  const perS = r.target_decisions_per_s ?? 10_000;
  const p99 = r.target_p99_ms ?? 2;
  const met = (x: ServerRow): boolean => x.target_met ?? (x.requests_per_s >= perS && x.p99_ms < p99);
  return {
    issue: '6',
    goal,
    measured: r.rows.map((x) => `${x.transport}: ${fmt(x.requests_per_s)}/s, p99 ${fmt(x.p99_ms, 2)} ms (${met(x) ? 'met' : 'not met'})`).join('; '),
    status: verdict(r.rows.length > 0 && r.rows.every(met)),
    source: `server.json (${day(r.machine?.date ?? r.date)})`,
  };
}

interface DecisionsResult {
  machine: { date: string };
  decision_cache: { size: number; hits: number; misses: number } | null;
  rows: Array<{ target: string; transport: string; connections: number; p99_ms: number }>;
  ratios: Array<{ connections: number; throughput_ratio_tcp: number; p99_ratio_tcp: number; goal_met: boolean }>;
}

function warmGoal(r: DecisionsResult | null): GoalRow {
  const goal = 'warm decisions: `wasmgate serve` ≥5× the decisions/s of a stock OPA server at equal or lower p99, concurrency 1/16/64';
  if (!r) return notMeasured('10', goal, 'decisions');
  const c = r.decision_cache;
  const cache = c ? `; decision cache: ${c.size.toLocaleString('en')} stored, ${c.hits.toLocaleString('en')} hits, ${c.misses.toLocaleString('en')} ${c.misses === 1 ? 'miss' : 'misses'}` : '; decision cache counters not reported';
  const p99 = (target: string, connections: number): string => {
    const row = r.rows.find((x) => x.target === target && x.transport === 'tcp' && x.connections === connections);
    return row ? `${row.p99_ms} ms` : 'n/a';
  };
  return {
    issue: '10',
    goal,
    measured: r.ratios.map((x) => `c${x.connections}: ${x.throughput_ratio_tcp}× OPA's decisions/s, p99 ${p99('wasmgate', x.connections)} vs ${p99('opa', x.connections)} (${x.goal_met ? 'met' : 'not met'})`).join('; ') + ` (TCP)${cache}`,
    status: verdict(r.ratios.length > 0 && r.ratios.every((x) => x.goal_met)),
    source: `decisions.json (${day(r.machine.date)})`,
  };
}

interface ColdResult { machine: { date: string }; ratios: { script_over_sidecar_p50: number; script_over_process_p50: number; goal_met: boolean } }

function coldGoal(r: ColdResult | null): GoalRow {
  const goal = 'cold decision ≥10× faster than the seed pipeline script (sidecar cold)';
  if (!r) return notMeasured('10', goal, 'cold');
  return {
    issue: '10',
    goal,
    measured: `sidecar cold ${r.ratios.script_over_sidecar_p50}× faster (p50); process cold ${r.ratios.script_over_process_p50}×`,
    status: verdict(r.ratios.goal_met),
    source: `cold.json (${day(r.machine.date)})`,
  };
}

interface ScaleResult { machine: { date: string }; modules: { modules: number; cached_entries: number; rss_mb: { after_1000_cached: number }; goal_met: boolean } }

function scaleGoal(r: ScaleResult | null): GoalRow {
  const goal = 'RSS < 250 MB with 1,000 decisions cached';
  if (!r) return notMeasured('10', goal, 'scale');
  const m = r.modules;
  return {
    issue: '10',
    goal,
    measured: `${fmt(m.rss_mb.after_1000_cached)} MiB with ${m.cached_entries.toLocaleString('en')} of ${m.modules.toLocaleString('en')} decisions cached`,
    status: verdict(m.goal_met),
    source: `scale.json (${day(r.machine.date)})`,
  };
}

interface TagsResult {
  machine: { date: string };
  goal: { tag_goal_met: boolean; requests_goal_met: boolean; mixed_goal_met: boolean };
  tag_rows: Array<{ store: string; connections: number; ratio: number }>;
  request_counts: Array<{ store: string; per_decision: string }>;
  mixed: Array<{ tree: string; cached: { p99_ms: number } }>;
  uncached: Array<{ tree: string; ms: { p50: number } }>;
}

function tagsGoals(r: TagsResult | null): GoalRow[] {
  const goals = [
    'tag-ref decisions/s ≥ 50 % of digest-ref decisions/s (c1, c16; OCI layout, registry with tag_ttl 0 and a TTL)',
    'registry requests per repeated tag decision: 1 HEAD, 0 blob fetches',
    'p99 of cached answers < 2 ms at c16 while uncached big-input decisions run',
  ];
  if (!r) return goals.map((g) => notMeasured('15', g, 'tags'));
  const src = `tags.json (${day(r.machine.date)})`;
  const ratios = r.tag_rows.map((x) => `${x.store} c${x.connections} ${x.ratio}`).join('; ');
  const uncached = r.uncached.map((u) => `${u.tree} ${fmt(u.ms.p50)} ms`).join(', ');
  return [
    { issue: '15', goal: goals[0]!, measured: `tag ÷ digest: ${ratios}`, status: verdict(r.goal.tag_goal_met), source: src },
    { issue: '15', goal: goals[1]!, measured: r.request_counts.map((c) => `${c.store}: ${c.per_decision}`).join('; '), status: verdict(r.goal.requests_goal_met), source: src },
    { issue: '15', goal: goals[2]!, measured: `${r.mixed.map((m) => `${m.tree}: ${m.cached.p99_ms} ms`).join('; ')}; uncached p50 on the realistic module: ${uncached}`, status: verdict(r.goal.mixed_goal_met), source: src },
  ];
}

async function main(): Promise<void> {
  const rows: GoalRow[] = [
    engineGoal(await result<EngineResult>('engine')),
    collectGoal(await result<CollectResult>('collect')),
    vulnsGoal(await result<VulnsResult>('vulns')),
    serverGoal(await result<ServerResult>('server')),
    warmGoal(await result<DecisionsResult>('decisions')),
    coldGoal(await result<ColdResult>('cold')),
    scaleGoal(await result<ScaleResult>('scale')),
    ...tagsGoals(await result<TagsResult>('tags')),
  ];
  const quick = (await Promise.all(['decisions', 'cold', 'scale', 'server'].map((n) => result<{ quick?: boolean }>(n)))).some((r) => r?.quick === true);
  const body = `## Goals at a glance

Generated by \`bench/summary.ts\` from \`bench/results/*.json\` at the end of \`npm run bench\`; each row names the result file and the
date it was measured. Details, caveats and raw figures are in the sections below.${quick ? ' **Some results are from `--quick` runs.**' : ''}

| issue | goal | measured | status | from |
|---|---|---|---|---|
${rows.map((r) => `| ${r.issue} | ${r.goal} | ${r.measured} | ${r.status} | \`${r.source}\` |`).join('\n')}`;

  // First run: put the table above every benchmark section (writeDocSection would append it at the end).
  const docPath = join(ROOT, 'docs', 'benchmarks.md');
  const doc = await readFile(docPath, 'utf8').catch(() => '# Benchmarks\n');
  if (!doc.includes(`<!-- ${MARKER}:begin -->`)) {
    const first = /^<!-- [\w-]+:begin -->$/m.exec(doc)?.index ?? -1;
    const placeholder = `<!-- ${MARKER}:begin -->\n<!-- ${MARKER}:end -->\n\n`;
    await writeFile(docPath, first >= 0 ? doc.slice(0, first) + placeholder + doc.slice(first) : `${doc.trimEnd()}\n\n${placeholder}`);
  }
  await writeDocSection(MARKER, body);
  process.stdout.write(`${body}\n`);
}

await main();
