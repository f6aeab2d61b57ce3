/**
 * HTTP decision benchmark (not a test): warm decisions per second and latency
 * of `POST /v1/data/wasm/sbom` over TCP and over the Unix socket, at
 * concurrency 16. The Decider is a stand-in that answers at once, so this
 * measures the service frame (parse, validate, cache, deadline, answer, metrics,
 * logs); the full pipeline's warm path adds only its cache lookup.
 * Writes bench/results/server.json.
 *
 *   . scripts/env.sh && node bench/server.bench.ts [--quick] [--decision-logs]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createSilentLogger } from '../src/common/logger.ts';
import { parseConfig } from '../src/config/load.ts';
import { startService } from '../src/server/service.ts';
import { createFakeDecider } from '../test/support/fake-decider.ts';

const ROOT = join(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
const LOGS = process.argv.includes('--decision-logs');
const DURATION_S = QUICK ? 3 : 10;
const CONNECTIONS = 16;

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

interface Row { transport: string; connections: number; duration_s: number; requests_per_s: number; p50_ms: number; p99_ms: number; non_2xx: number; errors: number }

async function run(transport: string, opts: { url: string; socketPath?: string }): Promise<Row> {
  const r = await autocannon({
    url: `${opts.url}/v1/data/wasm/sbom`,
    ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: DURATION_S,
    workers: 1,
  });
  return { transport, connections: CONNECTIONS, duration_s: DURATION_S, requests_per_s: Math.round(r.requests.average), p50_ms: r.latency.p50, p99_ms: r.latency.p99, non_2xx: r.non2xx, errors: r.errors };
}

// warm the cache and the JIT
await run('warmup', { url: `http://${tcp}` });
const rows = [await run('tcp', { url: `http://${tcp}` }), await run('unix', { url: 'http://localhost', socketPath: sock })];
await service.stop();
await rm(dir, { recursive: true, force: true });

const result = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, decision_logs: LOGS, target: '≥10,000 decisions/s, p99 < 2 ms at concurrency 16 on 2 cores', rows };
console.table(rows);
if (!QUICK) {
  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  await writeFile(join(ROOT, 'bench/results/server.json'), `${JSON.stringify(result, null, 2)}\n`);
}
