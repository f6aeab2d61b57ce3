import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { OPAClient } from '@styra/opa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { loadBundleFile } from '../../../src/policy/engine/index.ts';
import { startService, type RunningService } from '../../../src/server/index.ts';
import { createPipelineWiring } from '../../../src/wiring/pipeline-wiring.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';
import { startTestService } from '../../support/service.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { ROOT, socketExists, spawnProcess, waitFor } from './helpers.ts';

const D = `sha256:${'f'.repeat(64)}`;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wg-life-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function unixPost(sock: string, path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('the embedded bundle through a non-decision path', () => {
  let svc: RunningService;
  let url: string;
  beforeAll(async () => {
    // wasm/sbom is not a decision path here, so it evaluates the caller's input as OPA would
    const config = parseConfig('decision: {paths: [gate/decide]}', { overrides: { addr: '127.0.0.1:0' } });
    svc = await startService({ config, wire: createPipelineWiring({ baseDir: ROOT }), logger: createSilentLogger(), env: {} });
    url = `http://${svc.addresses[0]!}`;
  });
  afterAll(async () => svc.stop());

  it('evaluates wasm/sbom with @styra/opa and reports the bundle activated', async () => {
    const opa = new OPAClient(url);
    const result = await opa.evaluate<Record<string, unknown>, { allow: boolean; deny: string[] }>('wasm/sbom', { module: { ref: 'x' } });
    expect(result.allow).toBe(false);
    expect(result.deny.join('\n')).toMatch(/SBOM/);
    expect((await fetch(`${url}/health?bundles`)).status).toBe(200);
    const status = (await (await fetch(`${url}/v1/status`)).json()) as { result: { bundles: Record<string, { active_revision: string }> } };
    expect(status.result.bundles.default!.active_revision).toMatch(/\S/);
  });
});

describe.skipIf(missingOutsideCi('opa'))('a bundle compiled by opa at test time', () => {
  let svc: RunningService & { url: string };
  beforeAll(async () => {
    const out = join(dir, 'echo.tar.gz');
    await promisify(execFile)(requireTool('opa'), ['build', '-t', 'wasm', '-e', 'test/echo', '-e', 'test/greeting', '-o', out, join(ROOT, 'test/fixtures/server/echo.rego')]);
    const bundle = await loadBundleFile(out, { name: 'echo' });
    svc = await startTestService({ decider: createFakeDecider(), bundle });
  });
  afterAll(async () => svc.stop());

  it('evaluates raw paths for a real OPA client, undefined as undefined', async () => {
    const opa = new OPAClient(svc.url);
    expect(await opa.evaluate('test/echo', { a: [1, 2] })).toEqual({ a: [1, 2] });
    expect(await opa.evaluate('test/greeting', { name: 'wasm' })).toBe('hello wasm');
    expect(await opa.evaluate('test/greeting', {})).toBeUndefined();
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight requests, refuses new ones, flushes decision logs and removes the socket', async () => {
    const sock = join(dir, 'drain.sock');
    const logFile = join(dir, 'decisions.jsonl');
    const config = parseConfig(`listeners: {tcp: null, unix: {path: "${sock}"}}\nregistries: {allow: [r.example]}\ndecision_logs: {file: "${logFile}"}\ndecision: {deadline_ms: 5000}`);
    const svc = await startService({
      config,
      logger: createSilentLogger(),
      env: {},
      wire: async () => ({ decider: createFakeDecider({ delayMs: 300 }), bundles: { active: () => null }, versions: () => null }),
    });
    const inflight = unixPost(sock, '/v1/data/wasm/sbom?verdict', { input: { module: { ref: `r.example/app@${D}` } } });
    await new Promise((r) => setTimeout(r, 50));
    const stopped = svc.stop();
    await new Promise((r) => setTimeout(r, 20));
    await expect(unixPost(sock, '/health', {})).rejects.toThrow();
    const answer = await inflight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).result.allow).toBe(true);
    await stopped;
    expect(socketExists(sock)).toBe(false);
    const events = (await readFile(logFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toHaveLength(1);
    // the input is logged whole (replayable): the predicate is under decision_logs.max_predicate_bytes
    expect(events[0]).toMatchObject({ path: 'wasm/sbom', result: { allow: true }, requested_by: '@', input: { sbom_attestations: [{ predicate: { bomFormat: 'CycloneDX' } }] } });
    expect(events[0]).not.toHaveProperty('erased');
  });
});

describe('the Unix socket path', () => {
  it('removes a stale socket left by a killed process', async () => {
    const sock = join(dir, 'stale.sock');
    const holder = spawnProcess(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => console.log('up'))`]);
    await waitFor(() => holder.output().includes('up'), 'the holder to listen', holder.output);
    holder.child.kill('SIGKILL');
    await holder.exited;
    expect(socketExists(sock)).toBe(true);
    const svc = await startTestService({ decider: createFakeDecider(), unixSocket: sock });
    expect((await unixPost(sock, '/v1/data/x', {})).status).toBe(200);
    await svc.stop();
  });

  it('refuses a socket another process listens on, and a path that is not a socket', async () => {
    const live = join(dir, 'live.sock');
    const other = createServer();
    await new Promise<void>((r) => other.listen(live, () => r()));
    await expect(startTestService({ decider: createFakeDecider(), unixSocket: live })).rejects.toMatchObject({ code: 'SOCKET_IN_USE' });
    await new Promise<void>((r) => other.close(() => r()));
    const file = join(dir, 'file.sock');
    await writeFile(file, 'not a socket');
    await expect(startTestService({ decider: createFakeDecider(), unixSocket: file })).rejects.toMatchObject({ code: 'SOCKET_PATH_OCCUPIED' });
    expect(await readFile(file, 'utf8')).toBe('not a socket');
  });
});

describe('decision logs to an HTTP service', () => {
  it('uploads the event gzip-compressed with the bearer token from the config', async () => {
    const received: Array<{ auth: string | undefined; events: Array<Record<string, unknown>> }> = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ auth: req.headers.authorization, events: JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as Array<Record<string, unknown>> });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    process.env.WG_TEST_LOG_TOKEN = 'tok-123';
    const config = parseConfig(`
services: {logs: {url: "http://127.0.0.1:${port}", credentials: {bearer: {token: "\${WG_TEST_LOG_TOKEN}"}}}}
decision_logs: {service: logs, partition_name: edge, reporting: {trigger: immediate}}
registries: {allow: [r.example]}
labels: {site: test}
`, { overrides: { addr: '127.0.0.1:0' } });
    const svc = await startService({ config, logger: createSilentLogger(), env: {}, wire: async () => ({ decider: createFakeDecider(), bundles: { active: () => null }, versions: () => null }) });
    const res = await fetch(`http://${svc.addresses[0]!}/v1/data/wasm/sbom?verdict`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: `r.example/app@${D}` } } }) });
    const { decision_id } = (await res.json()) as { decision_id: string };
    await waitFor(() => received.length > 0, 'the upload', () => JSON.stringify(received));
    await svc.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
    expect(received[0]!.auth).toBe('Bearer tok-123');
    expect(received[0]!.events[0]).toMatchObject({ decision_id, path: 'wasm/sbom', labels: { site: 'test', version: '0.1.0' }, result: { allow: true, digest: D } });
  });
});
