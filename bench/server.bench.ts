/**
 * HTTP decision benchmark (not a test): warm decisions per second and latency
 * of `POST /v1/data/wasm/sbom?verdict` over TCP and over the Unix socket, at
 * concurrency 16. The Decider is a stand-in that answers at once, so this
 * measures the service frame (parse, validate, cache, deadline, answer, metrics,
 * logs); the full pipeline's warm path adds only its cache lookup.
 * Writes bench/results/server.json and the `server` section of docs/benchmarks.md
 * (issue 6 target: ≥10,000 decisions/s and p99 < 2 ms at concurrency 16, over TCP
 * and over the Unix socket).
 *
 *   . scripts/env.sh && node bench/server.bench.ts [--quick] [--decision-logs]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createSilentLogger } from '../src/common/logger.ts';
import { parseConfig } from '../src/config/load.ts';
import { startService } from '../src/server/service.ts';
import { createFakeDecider } from '../test/support/fake-decider.ts';
import { QUICK, writeDocSection, writeResult } from './lib/doc.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { fmt } from './lib/stats.ts';

const TARGET_PER_S = 10_000;
const TARGET_P99_MS = 2;
const LOGS = process.argv.includes('--decision-logs');
const DURATION_S = QUICK ? 3 : 10;
const CONNECTIONS = 16;

const machine = await machineFacts();
const dir = await mkdtemp(join(tmpdir(), 'wg-bench-'));
const sock = join(dir, 'wasmgate.sock');
const config = parseConfig(
  `registries: {allow: [reg.example]}\n${LOGS ? `decision_logs: {file: "${join(dir, 'decisions.jsonl')}"}\n` : ''}`,
  { overrides: { addr: '127.0.0.1:0', unixSocket: sock } },
);
const service = await startService({
  config,
  logger: createSilentLogger(),
  env: {},
  wire: async () => ({
    decider: createFakeDecider({ revision: 'rev-1' }),
    bundles: { active: () => null },
    versions: () => ({ bundleRevision: 'rev-1', trustHash: 'trust', dbVersion: 'db' }),
  }),
});
const tcp = service.addresses.find((a) => !a.startsWith('unix:'))!;
const body = JSON.stringify({ input: { module: { ref: `reg.example/org/app@sha256:${'a'.repeat(64)}` }, request: { runtime: 'wasmcloud' } } });

interface Row { transport: string; connections: number; duration_s: number; requests: number; requests_per_s: number; p50_ms: number; p99_ms: number; p99_9_ms: number; non_2xx: number; errors: number; target_met: boolean }

async function run(transport: string, opts: { url: string; socketPath?: string }): Promise<Row> {
  const r = await autocannon({
    // the compact verdict: the decision itself, no policy evaluation (the stand-in Decider has no bundle)
    url: `${opts.url}/v1/data/wasm/sbom?verdict`,
    ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: DURATION_S,
    workers: 1,
  });
  const perS = Math.round(r.requests.average);
  const errors = r.errors + r.timeouts;
  return {
    transport,
    connections: CONNECTIONS,
    duration_s: DURATION_S,
    requests: r.requests.total,
    requests_per_s: perS,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    p99_9_ms: r.latency.p99_9,
    non_2xx: r.non2xx,
    errors,
    target_met: perS >= TARGET_PER_S && r.latency.p99 < TARGET_P99_MS && r.non2xx === 0 && errors === 0,
  };
}

// warm the cache and the JIT
await run('warmup', { url: `http://${tcp}` });
const rows = [await run('tcp', { url: `http://${tcp}` }), await run('unix', { url: 'http://localhost', socketPath: sock })];
await service.stop();
await rm(dir, { recursive: true, force: true });

const goalMet = rows.every((r) => r.target_met);
const result = {
  machine,
  quick: QUICK,
  decision_logs: LOGS,
  target: `≥${TARGET_PER_S.toLocaleString('en')} decisions/s and p99 < ${TARGET_P99_MS} ms at concurrency ${CONNECTIONS}, over TCP and over the Unix socket`,
  target_decisions_per_s: TARGET_PER_S,
  target_p99_ms: TARGET_P99_MS,
  goal_met: goalMet,
  rows,
};
console.table(rows);
await writeResult('server', result);

const table = [
  '| transport | connections | decisions/s | p50 (ms) | p99 (ms) | p99.9 (ms) | requests | non-2xx / errors | target met |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.transport} | ${r.connections} | ${fmt(r.requests_per_s)} | ${fmt(r.p50_ms, 2)} | ${fmt(r.p99_ms, 2)} | ${fmt(r.p99_9_ms, 2)} | ${fmt(r.requests)} | ${r.non_2xx} / ${r.errors} | ${r.target_met ? 'met' : '**not met**'} |`),
].join('\n');
const missed = rows.filter((r) => !r.target_met).map((r) => {
  const why = [
    r.requests_per_s < TARGET_PER_S ? `${fmt(r.requests_per_s)} decisions/s is ${fmt((r.requests_per_s / TARGET_PER_S) * 100)} % of the target` : '',
    r.p99_ms >= TARGET_P99_MS ? `p99 ${fmt(r.p99_ms, 2)} ms is not under ${TARGET_P99_MS} ms` : '',
    r.non_2xx + r.errors > 0 ? `${r.non_2xx + r.errors} failed requests` : '',
  ].filter(Boolean).join(', ');
  return `${r.transport}: ${why}`;
});
await writeDocSection(
  'server',
  `## HTTP service frame

Measured ${machine.date.slice(0, 10)} with \`npm run bench\` (\`node bench/server.bench.ts${QUICK ? ' --quick' : ''}${LOGS ? ' --decision-logs' : ''}\`; ${describeMachine(machine)}).
Raw numbers: \`bench/results/server.json\`. autocannon (one worker thread, ${DURATION_S} s per row after a warm-up) against an in-process
\`startService\` whose Decider is a stand-in that answers at once, asked \`POST /v1/data/wasm/sbom?verdict\` about a digest-pinned ref, over TCP and
over the Unix socket. This measures the service frame alone — parse, validate, decision cache, deadline, answer, metrics${LOGS ? ', decision logs' : ''}
and logs — not the pipeline (see Warm decisions below for the real service).

${table}

Target (issue 6): ≥${TARGET_PER_S.toLocaleString('en')} decisions/s and p99 < ${TARGET_P99_MS} ms at concurrency ${CONNECTIONS}, over TCP and over the Unix socket.
${goalMet ? 'As measured, the target is **met** on both transports.' : `As measured, the target is **not met** (${missed.join('; ')}).`}
autocannon reports latencies in whole milliseconds, so "p99 < 2 ms" means a reported p99 of 0 or 1 ms. The load generator shares
the 2 cores with the service under test.`,
);
