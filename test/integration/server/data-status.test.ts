/**
 * What the running service says about the data its decisions depend on: the vulnerability database (source,
 * version, age, records) in /v1/status, /health and /metrics; stale data is an ERROR plugin state and a deny;
 * registry-backed decisions feed wasmgate_registry_request_duration_seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { startService, type RunningService } from '../../../src/server/index.ts';
import { createPipelineWiring } from '../../../src/wiring/pipeline-wiring.ts';
import { pushWasmModule } from '../../support/evidence.ts';
import { startTestRegistry, type RunningRegistry } from '../../support/registries.ts';
import { ROOT } from './helpers.ts';

async function serve(yaml: string): Promise<{ svc: RunningService; url: string }> {
  const config = parseConfig(yaml, { overrides: { addr: '127.0.0.1:0' }, env: {} });
  const svc = await startService({ config, wire: createPipelineWiring({ baseDir: ROOT }), logger: createSilentLogger(), env: {} });
  return { svc, url: `http://${svc.addresses[0]!}` };
}

async function ask(url: string, ref: string): Promise<{ allow: boolean; deny: string[] }> {
  const res = await fetch(`${url}/v1/data/wasm/sbom`, { method: 'POST', body: JSON.stringify({ input: { module: { ref } } }) });
  return ((await res.json()) as { result: { allow: boolean; deny: string[] } }).result;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'wasmgate-data-status-'));
});
afterAll(async () => rm(work, { recursive: true, force: true }));

describe('the vulnerability database in /v1/status, /health and /metrics', () => {
  let svc: RunningService;
  let url: string;
  beforeAll(async () => {
    ({ svc, url } = await serve(EMBEDDED_DEFAULT_CONFIG_YAML.replace('persistence_directory: .wasmgate', `persistence_directory: ${join(work, 'a')}`)));
  });
  afterAll(async () => svc.stop());

  it('reports source, version, age and record count', async () => {
    const status = (await (await fetch(`${url}/v1/status`)).json()) as { result: { vulnerability_db: Record<string, unknown>; plugins: Record<string, { state: string }> } };
    const db = status.result.vulnerability_db;
    expect(db).toMatchObject({ state: 'OK', required: true, origin: 'file', records: 1206, built: '2026-08-21T06:28:40Z', as_of: '2026-08-21T06:28:40.000Z', max_age_seconds: null, stale: false });
    expect(String(db.source)).toMatch(/demo\/osv\/rustsec-osv-all\.zip$/);
    expect(db.version).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(db.age_seconds).toBeGreaterThan(0);
    expect(status.result.plugins.vulnerability_db?.state).toBe('OK');

    const health = await fetch(`${url}/health?plugins`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { vulnerability_db: Record<string, unknown> }).vulnerability_db).toMatchObject({ records: 1206, version: db.version, source: db.source });

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^wasmgate_vulnerability_db_records 1206$/m);
    expect(metrics).toMatch(/^wasmgate_vulnerability_db_age_seconds \d+$/m);
    expect(metrics).toContain(`wasmgate_vulnerability_db_info{source="${String(db.source)}",version="${String(db.version)}",state="OK"} 1`);
  });
});

describe('stale vulnerability data under a running service', () => {
  let svc: RunningService;
  let url: string;
  beforeAll(async () => {
    const yaml = EMBEDDED_DEFAULT_CONFIG_YAML.replace('  max_age: null', '  max_age: 30d').replace('persistence_directory: .wasmgate', `persistence_directory: ${join(work, 'b')}`);
    expect(yaml).toContain('max_age: 30d');
    ({ svc, url } = await serve(yaml));
  });
  afterAll(async () => svc.stop());

  it('is an ERROR plugin (readiness fails), the age shows in the metrics, and decisions deny', async () => {
    const health = await fetch(`${url}/health?plugins`);
    expect(health.status).toBe(500);
    const body = (await health.json()) as { vulnerability_db: { stale: boolean; max_age_seconds: number } };
    expect(body.vulnerability_db).toMatchObject({ stale: true, max_age_seconds: 30 * 86400 });
    const status = (await (await fetch(`${url}/v1/status`)).json()) as { result: { plugins: Record<string, { state: string; message?: string }> } };
    expect(status.result.plugins.vulnerability_db).toMatchObject({ state: 'ERROR', message: expect.stringContaining('vulnerability_db_stale') });
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^wasmgate_vulnerability_db_max_age_seconds 2592000$/m);
    const d = await ask(url, 'oci:demo/store:payments');
    expect(d.allow).toBe(false);
    expect(d.deny.join('\n')).toContain('vulnerability_db_stale');
  });
});

describe('registry-backed decisions', () => {
  let registry: RunningRegistry;
  let svc: RunningService;
  let url: string;
  beforeAll(async () => {
    registry = await startTestRegistry();
    const yaml = EMBEDDED_DEFAULT_CONFIG_YAML.replace('registries:\n  allow: []', `registries:\n  allow: ["${registry.host}"]\n  insecure: ["${registry.host}"]`).replace(
      'persistence_directory: .wasmgate',
      `persistence_directory: ${join(work, 'c')}`,
    );
    expect(yaml).toContain(registry.host);
    ({ svc, url } = await serve(yaml));
  }, 60_000);
  afterAll(async () => {
    await svc.stop();
    await registry.stop();
  });

  it('feed wasmgate_registry_request_duration_seconds (host, operation, outcome)', async () => {
    const mod = await pushWasmModule({ registry: registry.host, repository: 'wasm/metrics' });
    const d = await ask(url, mod.tagRef);
    expect(d.allow).toBe(false); // unsigned: what matters here is that the registry was asked
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const count = (op: string): number => Number(new RegExp(`^wasmgate_registry_request_duration_seconds_count\\{host="${registry.host.replace(/\./g, '\\.')}",operation="${op}",outcome="ok"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    expect(count('manifest')).toBeGreaterThanOrEqual(1);
    expect(count('blob')).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
