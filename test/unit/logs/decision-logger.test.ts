import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleSink, createDecisionLogger, createFileSink, createHttpSink, createOpaConsoleLogger, instanceLabels, predicateDigest } from '../../../src/logs/index.ts';
import type { DecisionEventV1, DecisionLogRecord, DecisionLogSink } from '../../../src/logs/index.ts';
import { createMetrics } from '../../../src/status/index.ts';
import { DEFAULT_ERASE } from '../../../src/config/index.ts';

const record = (n: number, extra: Partial<DecisionLogRecord> = {}): DecisionLogRecord => ({
  decision_id: `id-${n}`, path: 'wasm/sbom', time: Date.UTC(2026, 0, 1, 0, 0, n), input: { module: { ref: 'r/app:1' }, sbom_attestations: [{ predicate: { big: 'x'.repeat(100) } }] },
  result: { allow: true, deny: [] }, requested_by: '127.0.0.1:5555', metrics: { timer_rego_query_eval_ns: 5 }, bundles: { default: { revision: 'r1' } }, ...extra,
});

function memorySink(): DecisionLogSink & { events: DecisionEventV1[] } {
  const events: DecisionEventV1[] = [];
  return { name: 'memory', events, write: (e) => void events.push(...e), flush: async () => {}, close: async () => {} };
}

describe('createDecisionLogger', () => {
  it('turns records into OPA EventV1 events after the answer, erasing predicates', async () => {
    const sink = memorySink();
    const logger = createDecisionLogger({ labels: instanceLabels({ app: 'x' }, '0.1.0', 'inst'), sinks: [sink], erase: DEFAULT_ERASE });
    logger.log(record(1));
    expect(sink.events).toHaveLength(0); // nothing on the caller's path
    await logger.flush();
    expect(sink.events[0]).toEqual({
      labels: { app: 'x', id: 'inst', version: '0.1.0' },
      decision_id: 'id-1',
      path: 'wasm/sbom',
      timestamp: '2026-01-01T00:00:01.000Z',
      bundles: { default: { revision: 'r1' } },
      input: { module: { ref: 'r/app:1' }, sbom_attestations: [{}] },
      result: { allow: true, deny: [] },
      erased: ['/input/sbom_attestations/0/predicate'],
      requested_by: '127.0.0.1:5555',
      metrics: { timer_rego_query_eval_ns: 5 },
      // the erased predicate's digest, for `wasmgate replay`
      custom: { wasmgate: { erased_predicates: { '/input/sbom_attestations/0/predicate': predicateDigest({ big: 'x'.repeat(100) }) } } },
    });
  });

  it('logs an undefined decision without result', async () => {
    const sink = memorySink();
    const logger = createDecisionLogger({ labels: {}, sinks: [sink] });
    const { result: _r, ...rest } = record(2);
    logger.log(rest);
    await logger.flush();
    expect(sink.events[0]).not.toHaveProperty('result');
  });

  it('drops beyond its buffer and counts the drops in OPA\'s metric', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const sink = memorySink();
    const logger = createDecisionLogger({ labels: {}, sinks: [sink], bufferLimit: 3, metrics });
    for (let i = 0; i < 5; i++) logger.log(record(i));
    expect(logger.stats().dropped).toBe(2);
    expect(await metrics.registry.metrics()).toContain('decision_logs_dropped_buffer_size_limit_exceeded 2');
    await logger.flush();
    expect(sink.events).toHaveLength(3);
  });

  it('is a no-op without sinks', () => {
    const logger = createDecisionLogger({ labels: {}, sinks: [] });
    expect(logger.enabled).toBe(false);
    logger.log(record(1));
    expect(logger.stats().queued).toBe(0);
  });
});

describe('createConsoleSink', () => {
  it('writes one pino line with OPA\'s msg and type', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
    const sink = createConsoleSink(pino({ base: null }, stream));
    const logger = createDecisionLogger({ labels: { id: 'i', version: 'v' }, sinks: [sink] });
    logger.log(record(3));
    await logger.flush();
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ msg: 'Decision Log', type: 'openpolicyagent.org/decision_logs', decision_id: 'id-3', level: 30 });
  });
});

describe('createFileSink', () => {
  let dir: string | undefined;
  afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

  it('appends JSON lines', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wg-logs-'));
    const path = join(dir, 'decisions.jsonl');
    const logger = createDecisionLogger({ labels: {}, sinks: [createFileSink({ path })] });
    logger.log(record(1));
    logger.log(record(2));
    await logger.stop(1000);
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as DecisionEventV1);
    expect(lines.map((l) => l.decision_id)).toEqual(['id-1', 'id-2']);
  });
});

describe('createHttpSink', () => {
  let server: Server | undefined;
  afterEach(async () => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function receiver(statusFor: (n: number) => number): Promise<{ url: string; batches: DecisionEventV1[][]; sizes: number[]; headers: IncomingMessage['headers'][] }> {
    const batches: DecisionEventV1[][] = [];
    const headers: IncomingMessage['headers'][] = [];
    const sizes: number[] = [];
    let n = 0;
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = statusFor(n++);
        headers.push(req.headers);
        sizes.push(Buffer.concat(chunks).length);
        if (status === 200) batches.push(JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as DecisionEventV1[]);
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const a = server.address() as { port: number };
    return { url: `http://127.0.0.1:${a.port}/logs`, batches, sizes, headers };
  }

  const events = (k: number): DecisionEventV1[] => Array.from({ length: k }, (_, i) => ({ labels: {}, decision_id: `e${i}`, timestamp: 't', input: { pad: randomBytes(100).toString('hex') } }));

  it('uploads gzip JSON arrays with a bearer token, each within the compressed size limit', async () => {
    const r = await receiver(() => 200);
    const sink = createHttpSink({ url: r.url, bearer: { token: 'tok' }, uploadSizeLimitBytes: 2048, bufferSizeLimitEvents: 1000, trigger: 'manual', minDelayMs: 1000, maxDelayMs: 2000 });
    sink.write(events(60));
    await sink.flush();
    expect(r.batches.length).toBeGreaterThan(1);
    for (const size of r.sizes) expect(size).toBeLessThanOrEqual(2048);
    expect(r.batches.flat().map((e) => e.decision_id)).toEqual(Array.from({ length: 60 }, (_, i) => `e${i}`));
    expect(r.headers[0]).toMatchObject({ 'content-encoding': 'gzip', 'content-type': 'application/json', authorization: 'Bearer tok' });
    await sink.close(Date.now() + 100);
  });

  it('retries a failed upload with backoff and loses nothing', async () => {
    const r = await receiver((n) => (n < 2 ? 503 : 200));
    const results: boolean[] = [];
    const sink = createHttpSink({ url: r.url, uploadSizeLimitBytes: 32768, bufferSizeLimitEvents: 1000, trigger: 'immediate', minDelayMs: 1000, maxDelayMs: 2000, minRetryMs: 5, maxRetryMs: 20, onUploadResult: (ok) => results.push(ok) });
    sink.write(events(3));
    await sink.close(Date.now() + 5000);
    expect(results.slice(0, 3)).toEqual([false, false, true]);
    expect(r.batches.flat()).toHaveLength(3);
  });

  it('drops the oldest events beyond its buffer and counts them', async () => {
    const r = await receiver(() => 200);
    let dropped = 0;
    const sink = createHttpSink({ url: r.url, uploadSizeLimitBytes: 32768, bufferSizeLimitEvents: 5, trigger: 'manual', minDelayMs: 1000, maxDelayMs: 2000, onDropped: (n) => (dropped += n) });
    sink.write(events(8));
    await sink.flush();
    expect(dropped).toBe(3);
    expect(r.batches.flat().map((e) => e.decision_id)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7']);
    await sink.close(Date.now());
  });
});

describe('OPA event fields', () => {
  const log = async (options: Partial<Parameters<typeof createDecisionLogger>[0]>, ...records: DecisionLogRecord[]): Promise<DecisionEventV1[]> => {
    const sink = memorySink();
    const logger = createDecisionLogger({ labels: { id: 'i', version: 'v' }, sinks: [sink], ...options });
    for (const r of records) logger.log(r);
    await logger.flush();
    return sink.events;
  };

  it('omits the root path, as OPA does', async () => {
    const [e] = await log({}, record(1, { path: '' }));
    expect(e).not.toHaveProperty('path');
  });

  it('logs nd_builtin_cache only when enabled (a wasm bundle calls no non-deterministic builtin: {})', async () => {
    expect((await log({}, record(1)))[0]).not.toHaveProperty('nd_builtin_cache');
    expect((await log({ ndBuiltinCache: true }, record(1)))[0]!.nd_builtin_cache).toEqual({});
  });

  it('copies the configured request headers into request_context, by their configured names', async () => {
    const [e] = await log({ requestContextHeaders: ['X-Request-Id', 'X-Absent'] }, record(1, { headers: { 'x-request-id': 'abc', authorization: 'secret' } }));
    expect(e!.request_context).toEqual({ http: { headers: { 'X-Request-Id': ['abc'] } } });
    expect(JSON.stringify(e)).not.toContain('secret');
    expect((await log({}, record(1, { headers: { 'x-request-id': 'abc' } })))[0]).not.toHaveProperty('request_context');
  });

  it('carries req_id and the error object', async () => {
    const [e] = await log({}, record(1, { req_id: 3, error: { code: 'timeout', message: 'no decision within 900 ms' } }));
    expect(e).toMatchObject({ req_id: 3, error: { code: 'timeout', message: 'no decision within 900 ms' } });
  });

  it('keeps predicates whole up to max_predicate_bytes and erases bigger ones with their sha256', async () => {
    const small = await log({ maxPredicateBytes: 1000 }, record(1));
    expect(small[0]!.input).toEqual(record(1).input);
    expect(small[0]).not.toHaveProperty('erased');
    const [big] = await log({ maxPredicateBytes: 50 }, record(1));
    expect(big!.erased).toEqual(['/input/sbom_attestations/0/predicate']);
    expect((big!.input as { sbom_attestations: object[] }).sbom_attestations[0]).toEqual({});
    expect(big!.custom).toEqual({ wasmgate: { erased_predicates: { '/input/sbom_attestations/0/predicate': predicateDigest({ big: 'x'.repeat(100) }) } } });
  });

  it('drops beyond max_decisions_per_second and counts it in OPA\'s metric', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let t = 0;
    const events = await log({ maxDecisionsPerSecond: 2, metrics, now: () => t }, record(1), record(2), record(3));
    expect(events.map((e) => e.decision_id)).toEqual(['id-1', 'id-2']);
    expect(await metrics.registry.metrics()).toContain('decision_logs_dropped_rate_limit_exceeded 1');
    t = 1000; // a second later the bucket has refilled
    expect(await log({ maxDecisionsPerSecond: 2, now: () => t }, record(4))).toHaveLength(1);
  });

  it('applies the drop and mask policies to the event (OPA\'s mask_decision/drop_decision)', async () => {
    const seen: DecisionEventV1[] = [];
    const events = await log({
      policy: {
        drop: (e) => e.decision_id === 'id-2',
        mask: (e) => {
          seen.push(e);
          return ['/input/module/ref', { op: 'upsert', path: '/result/deny', value: ['masked'] }];
        },
      },
    }, record(1), record(2));
    expect(events.map((e) => e.decision_id)).toEqual(['id-1']);
    expect(events[0]).toMatchObject({ erased: ['/input/module/ref'], masked: ['/result/deny'], result: { allow: true, deny: ['masked'] } });
    expect((events[0]!.input as { module: object }).module).toEqual({});
    expect(seen[0]!.decision_id).toBe('id-1');
  });

  it('lets the mask policy add fields under custom (OPA\'s place for data outside its schema), nothing else outside input/result', async () => {
    const [e] = await log({ policy: { mask: () => [{ op: 'upsert', path: '/custom/team', value: 'payments' }] } }, record(1));
    expect(e!.custom).toEqual({ team: 'payments' });
    expect(e!.masked).toEqual(['/custom/team']);
    expect(await log({ policy: { mask: () => ['/labels/id'] } }, record(1))).toEqual([]);
  });

  it('never writes an event whose mask policy failed', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const events = await log({ metrics, policy: { mask: () => { throw new Error('no such entrypoint'); } } }, record(1));
    expect(events).toHaveLength(0);
    expect(await metrics.registry.metrics()).toContain('decision_logs_encoding_failure 1');
  });
});

describe('createConsoleSink (OPA\'s console line)', () => {
  it('writes time as an RFC 3339 string, level "info" and error as text', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
    const sink = createConsoleSink(createOpaConsoleLogger(stream));
    sink.write([{ labels: {}, decision_id: 'd', timestamp: '2026-01-01T00:00:00.000Z', error: { code: 'eval_conflict_error', message: 'conflict', location: { file: 'p.rego', row: 5, col: 1 } } }]);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(line).toMatchObject({ level: 'info', msg: 'Decision Log', type: 'openpolicyagent.org/decision_logs', error: 'p.rego:5: eval_conflict_error: conflict' });
  });
});
