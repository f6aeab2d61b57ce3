/**
 * The decision_logs keys of issue 13 item 6 change behaviour: mask_decision/drop_decision evaluated as policy
 * paths of the active (wasm) bundle, reporting.max_decisions_per_second, reporting.buffer_type.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.ts';
import { createBundleLogPolicy, createDecisionLoggerFromConfig, type DecisionEventV1, type DecisionLogRecord } from '../../../src/logs/index.ts';
import { loadBundleFile, type WasmBundle } from '../../../src/policy/engine/index.ts';
import { createMetrics } from '../../../src/status/index.ts';
import { requireTool } from '../../support/tools.ts';

const run = promisify(execFile);

const LOG_POLICY = `package system.log
import rego.v1

# OPA's mask policy: JSON pointers to erase, or upsert operations
mask contains "/input/request/labels/owner"
mask contains {"op": "upsert", "path": "/input/module/ref", "value": "(masked)"} if input.path == "wasm/sbom"

drop if input.input.module.ref == "registry.example/noise:1"
`;

const record = (n: number, ref = 'registry.example/app:1'): DecisionLogRecord => ({
  decision_id: `id-${n}`, path: 'wasm/sbom', time: Date.UTC(2026, 0, 1), input: { module: { ref }, request: { labels: { owner: 'alice', team: 'pay' } } }, result: { allow: true, deny: [] },
});

describe('decision_logs from config', () => {
  let dir: string;
  let bundle: WasmBundle;
  let server: Server | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-dl-config-'));
    await writeFile(join(dir, 'log.rego'), LOG_POLICY);
    await run(requireTool('opa'), ['build', '-t', 'wasm', '-e', 'system/log/mask', '-e', 'system/log/drop', '-o', join(dir, 'log.tar.gz'), join(dir, 'log.rego')]);
    bundle = await loadBundleFile(join(dir, 'log.tar.gz'), { name: 'logpolicy' });
  }, 60_000);
  afterAll(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function logThrough(yaml: string, records: DecisionLogRecord[], active: WasmBundle | null = bundle): Promise<{ events: DecisionEventV1[]; metrics: string }> {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
    const config = parseConfig(`decision_logs: {file: ${JSON.stringify(file)}, ${yaml}}`);
    const metrics = createMetrics({ defaultMetrics: false });
    const logger = createDecisionLoggerFromConfig({
      config: config.decision_logs, services: config.services, labels: { id: 'i', version: 'v' }, metrics,
      policy: createBundleLogPolicy({ active: () => active }, config.decision_logs.mask_decision, config.decision_logs.drop_decision),
    });
    for (const r of records) logger.log(r);
    await logger.stop(2000);
    const text = await readFile(file, 'utf8').catch(() => '');
    return { events: text.trim() === '' ? [] : text.trim().split('\n').map((l) => JSON.parse(l) as DecisionEventV1), metrics: await metrics.registry.metrics() };
  }

  it('evaluates mask_decision and drop_decision on the active bundle', async () => {
    const { events } = await logThrough('', [record(1), record(2, 'registry.example/noise:1')]);
    expect(events.map((e) => e.decision_id)).toEqual(['id-1']);
    expect(events[0]).toMatchObject({ erased: ['/input/request/labels/owner'], masked: ['/input/module/ref'], input: { module: { ref: '(masked)' }, request: { labels: { team: 'pay' } } } });
    expect((events[0]!.input as { request: { labels: object } }).request.labels).not.toHaveProperty('owner');
    // a bundle without OPA's default paths masks and drops nothing, as in OPA
    const plain = await logThrough('', [record(3)], null);
    expect(plain.events[0]!.input).toEqual(record(3).input);
  });

  it('drops rather than logs unmasked when a configured mask_decision path is not in the bundle', async () => {
    const { events, metrics } = await logThrough('mask_decision: /system/log/redact', [record(1)]);
    expect(events).toEqual([]);
    expect(metrics).toContain('decision_logs_encoding_failure 1');
  });

  it('rate-limits with reporting.max_decisions_per_second', async () => {
    const { events, metrics } = await logThrough('reporting: {max_decisions_per_second: 2}', [record(1), record(2), record(3), record(4)]);
    expect(events.map((e) => e.decision_id)).toEqual(['id-1', 'id-2']);
    expect(metrics).toContain('decision_logs_dropped_rate_limit_exceeded 2');
    expect((await logThrough('', [record(1), record(2), record(3), record(4)])).events).toHaveLength(4);
  });

  it('bounds the upload buffer by events or by bytes as buffer_type says', async () => {
    server = createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const upload = async (reporting: string): Promise<string> => {
      const config = parseConfig(`services: {logs: {url: "${url}"}}\ndecision_logs: {service: logs, reporting: {trigger: manual, ${reporting}}}`);
      const metrics = createMetrics({ defaultMetrics: false });
      const logger = createDecisionLoggerFromConfig({ config: config.decision_logs, services: config.services, labels: { id: 'i', version: 'v' }, metrics });
      for (let i = 0; i < 10; i++) logger.log(record(i));
      await logger.flush(); // the receiver refuses: everything stays buffered, within the configured bound
      await logger.stop(50);
      return metrics.registry.metrics();
    };
    const byEvents = await upload('buffer_type: event, buffer_size_limit_events: 3');
    expect(byEvents).toMatch(/^decision_logs_dropped_buffer_size_limit_exceeded (\d+)/m);
    expect(Number(/^decision_logs_dropped_buffer_size_limit_exceeded (\d+)/m.exec(byEvents)![1])).toBeGreaterThanOrEqual(7);
    expect(byEvents).toContain('decision_logs_dropped_buffer_size_limit_bytes_exceeded 0');
    const bySize = await upload('buffer_type: size, buffer_size_limit_bytes: 400, buffer_size_limit_events: 3');
    // by size: the events limit does not apply, the bytes limit does (each event is ~250 bytes)
    expect(Number(/^decision_logs_dropped_buffer_size_limit_bytes_exceeded (\d+)/m.exec(bySize)![1])).toBeGreaterThanOrEqual(8);
  });
});
