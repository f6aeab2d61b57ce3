/**
 * Decision logs a pipeline built for OPA can read, proved with real OPA 1.22.3 on both ends:
 *
 * - the reference: `opa run --server` on the shipped Rego (policies/) uploads its own decision events to a
 *   loopback receiver; they must satisfy test/fixtures/logs/decision-event-v1.schema.json (so the schema is OPA's);
 * - the consumer: another `opa run --server` is wasmgate's decision-log *service*. wasmgate's uploader POSTs its
 *   gzip'd JSON arrays to that OPA's `/v0/data/logs/ingest`, whose Rego accepts a batch (200) only when every event
 *   matches the schema (`json.match_schema`); anything else is a 404 and wasmgate would retry. The consumer's own
 *   console decision log shows what it ingested.
 *
 * The same requests go to OPA and to `wasmgate serve`; each pair of events (matched by the X-Request-Id that
 * `request_context` copies) must have the same fields with the same JSON types, modulo wasmgate's documented
 * additions (`custom`, `bundles`).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionEventV1 } from '../../../src/logs/event.ts';
import { requireTool } from '../../support/tools.ts';
import { freePort, ROOT, spawnProcess, waitFor, WASMGATE, type Spawned } from '../server/helpers.ts';

const SCHEMA = JSON.parse(await readFile(join(ROOT, 'test/fixtures/logs/decision-event-v1.schema.json'), 'utf8')) as Record<string, unknown>;
const validateEvent = new Ajv({ allErrors: true, strict: false }).compile(SCHEMA);

const INGEST_REGO = `package logs
import rego.v1

# 200 with {"accepted": n} only when every event of the batch matches OPA's EventV1 schema; else undefined (404)
ingest := {"accepted": count(input)} if {
	is_array(input)
	count(input) > 0
	every e in input {
		[ok, _] := json.match_schema(e, data.schemas.event)
		ok
	}
}
`;

const REQUESTS: Array<{ id: string; method: 'POST' | 'GET'; path: string; body?: unknown }> = [
  { id: 'r-allow', method: 'POST', path: '/v1/data/wasm/sbom/allow', body: { input: { module: { ref: 'oci:demo/store:payments' } } } },
  { id: 'r-package', method: 'POST', path: '/v1/data/wasm/sbom', body: { input: { module: { ref: 'oci:demo/store:unsigned' } } } },
  { id: 'r-get', method: 'GET', path: `/v1/data/wasm/sbom/deny?input=${encodeURIComponent(JSON.stringify({ module: { ref: 'oci:demo/store:vulnerable' } }))}` },
  { id: 'r-root', method: 'POST', path: '/v1/data' },
];

const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

describe('decision logs through a pipeline built for OPA', () => {
  let dir: string;
  let consumer: Spawned;
  let reference: Spawned;
  let wasmgate: Spawned;
  let receiver: Server;
  const opaEvents: DecisionEventV1[] = [];
  const uploads: Array<{ encoding: string | undefined; type: string | undefined }> = [];
  let opaPort = 0;
  let wgPort = 0;

  beforeAll(async () => {
    const opa = requireTool('opa');
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-dl-pipeline-'));
    // the consumer: OPA as the decision-log service
    const consumerPort = await freePort();
    await writeFile(join(dir, 'ingest.rego'), INGEST_REGO);
    await writeFile(join(dir, 'schemas.json'), JSON.stringify({ schemas: { event: SCHEMA } }));
    await writeFile(join(dir, 'consumer.yaml'), 'decision_logs: {console: true}\n');
    consumer = spawnProcess(opa, ['run', '--server', '--addr', `127.0.0.1:${consumerPort}`, '-c', join(dir, 'consumer.yaml'), join(dir, 'ingest.rego'), join(dir, 'schemas.json')]);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${consumerPort}/health`)).ok, 'the consumer OPA', consumer.output);

    // the reference: OPA on the shipped Rego, uploading its events to a loopback receiver
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        uploads.push({ encoding: req.headers['content-encoding'], type: req.headers['content-type'] });
        opaEvents.push(...(JSON.parse(gunzipSync(Buffer.concat(chunks)).toString()) as DecisionEventV1[]));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const receiverPort = (receiver.address() as { port: number }).port;
    opaPort = await freePort();
    await writeFile(join(dir, 'reference.yaml'), [
      `services: {receiver: {url: "http://127.0.0.1:${receiverPort}"}}`,
      'labels: {app: pipeline}',
      'nd_builtin_cache: true',
      'decision_logs: {service: receiver, request_context: {http: {headers: [X-Request-Id]}}, reporting: {min_delay_seconds: 1, max_delay_seconds: 1}}',
    ].join('\n'));
    reference = spawnProcess(opa, ['run', '--server', '--addr', `127.0.0.1:${opaPort}`, '-c', join(dir, 'reference.yaml'),
      join(ROOT, 'policies/wasm_sbom_policy.rego'), join(ROOT, 'policies/wasm_inspection.rego'), join(ROOT, 'policies/data.json')]);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${opaPort}/health`)).ok, 'the reference OPA', reference.output);

    // wasmgate, uploading to the consumer OPA
    wgPort = await freePort();
    const config = {
      labels: { app: 'pipeline' },
      listeners: { tcp: `127.0.0.1:${wgPort}`, unix: null },
      registries: { allow: [], layouts: [join(ROOT, 'demo/store')] },
      decision: { deadline_ms: 60000 },
      trust: {
        keyless: [
          { subject: 'https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' },
          { subject_regexp: 'https://github\\.com/slsa-framework/slsa-github-generator/\\.github/workflows/generator_(generic|container)_slsa3\\.yml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+', issuer: 'https://token.actions.githubusercontent.com' },
        ],
        trusted_roots: [join(ROOT, 'demo/trusted_root.json')],
      },
      vulnerability_db: { path: join(ROOT, 'demo/osv/rustsec-osv-all.zip'), max_age: null }, // the demo's frozen export
      persistence_directory: join(dir, 'wg-state'),
      services: { consumer: { url: `http://127.0.0.1:${consumerPort}` } },
      nd_builtin_cache: true,
      decision_logs: { service: 'consumer', resource: '/v0/data/logs/ingest', request_context: { http: { headers: ['X-Request-Id'] } }, reporting: { trigger: 'immediate' } },
    };
    await writeFile(join(dir, 'wasmgate.yaml'), JSON.stringify(config));
    wasmgate = spawnProcess(process.execPath, [WASMGATE, 'serve', '--config', join(dir, 'wasmgate.yaml')]);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${wgPort}/health?bundles`)).ok, 'wasmgate serve', wasmgate.output, 60_000);

    for (const port of [opaPort, wgPort]) {
      for (const r of REQUESTS) {
        const res = await fetch(`http://127.0.0.1:${port}${r.path}`, {
          method: r.method,
          headers: { 'x-request-id': r.id, 'content-type': 'application/json' },
          ...(r.body !== undefined ? { body: JSON.stringify(r.body) } : {}),
        });
        expect(res.status, `${port} ${r.method} ${r.path}`).toBe(200);
      }
    }
    await waitFor(() => opaEvents.length >= REQUESTS.length, 'the reference OPA\'s uploads', reference.output, 20_000);
    await waitFor(() => ingested().length >= REQUESTS.length, 'wasmgate\'s events at the consumer OPA', () => `${consumer.output()}\n--- wasmgate ---\n${wasmgate.output()}`, 20_000);
  }, 120_000);

  afterAll(async () => {
    for (const p of [wasmgate, reference, consumer]) {
      if (p && p.child.exitCode === null) {
        p.child.kill('SIGTERM');
        await p.exited;
      }
    }
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // The consumer's own console decision log: one line per batch, the batch as input, the answer as result.
  function ingestLines(): Array<{ input: DecisionEventV1[]; result?: unknown }> {
    return consumer.output().split('\n').filter((l) => l.includes('"msg":"Decision Log"') && l.includes('"path":"logs/ingest"')).map((l) => JSON.parse(l) as { input: DecisionEventV1[]; result?: unknown });
  }
  function ingested(): DecisionEventV1[] {
    return ingestLines().filter((l) => l.result !== undefined).flatMap((l) => l.input);
  }
  const byRequest = (events: DecisionEventV1[], id: string): DecisionEventV1 => {
    const e = events.find((x) => x.request_context?.http?.headers?.['X-Request-Id']?.[0] === id);
    if (!e) throw new Error(`no event for ${id} in ${JSON.stringify(events.map((x) => x.request_context))}`);
    return e;
  };

  it('OPA\'s own events satisfy the EventV1 schema (the schema is OPA\'s shape)', () => {
    for (const e of opaEvents) expect(validateEvent(e), JSON.stringify(validateEvent.errors)).toBe(true);
    expect(uploads[0]).toEqual({ encoding: 'gzip', type: 'application/json' });
  });

  it('a real OPA ingests wasmgate\'s gzip\'d batches and accepts every event against the schema', () => {
    const lines = ingestLines();
    // every batch wasmgate sent was accepted (a rejected batch is logged by the consumer without result)
    expect(lines.filter((l) => l.result === undefined)).toEqual([]);
    const events = ingested();
    for (const r of REQUESTS) byRequest(events, r.id);
    for (const e of events) expect(validateEvent(e), JSON.stringify(validateEvent.errors)).toBe(true);
  });

  it('each wasmgate event has the fields and JSON types of OPA\'s event for the same request', () => {
    const ours = ingested();
    for (const r of REQUESTS) {
      const o = byRequest(opaEvents, r.id);
      const w = byRequest(ours, r.id);
      const additions = new Set(['custom', 'bundles']);
      expect(Object.keys(w).filter((k) => !additions.has(k)).sort(), r.id).toEqual(Object.keys(o).filter((k) => !additions.has(k)).sort());
      for (const k of Object.keys(o)) {
        if (k in w) expect(jsonType((w as unknown as Record<string, unknown>)[k]), `${r.id}.${k}`).toBe(jsonType((o as unknown as Record<string, unknown>)[k]));
      }
      expect(Object.keys(w.labels)).toEqual(expect.arrayContaining(Object.keys(o.labels)));
      // OPA's timers, except the query compiler's (a wasm bundle compiles nothing per query)
      const timers = Object.keys(o.metrics ?? {}).filter((m) => m !== 'timer_rego_query_compile_ns' && m !== 'timer_rego_external_resolve_ns');
      expect(Object.keys(w.metrics ?? {}), r.id).toEqual(expect.arrayContaining(timers));
      expect(w.metrics?.timer_server_handler_ns).toBeGreaterThan(0);
      expect(w.nd_builtin_cache).toEqual({});
    }
    expect(byRequest(ours, 'r-root')).not.toHaveProperty('path');
    expect(byRequest(opaEvents, 'r-root')).not.toHaveProperty('path');
    expect(byRequest(ours, 'r-allow')).toMatchObject({ path: 'wasm/sbom/allow', result: true });
  });
});
