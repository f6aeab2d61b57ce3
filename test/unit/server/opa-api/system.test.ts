import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../../../src/server/index.ts';
import { createFakeBundle } from '../../../support/fake-bundle.ts';
import { createFakeDecider } from '../../../support/fake-decider.ts';
import { startTestService } from '../../../support/service.ts';

const D = `sha256:${'d'.repeat(64)}`;
let svc: RunningService & { url: string };

beforeAll(async () => {
  svc = await startTestService({
    decider: createFakeDecider(),
    bundle: createFakeBundle(),
    versions: () => ({ bundleRevision: 'rev-1', trustHash: 't', dbVersion: 'd' }),
    yaml: `
registries: {allow: ["*"]}
services: {logs: {url: "http://127.0.0.1:9", credentials: {bearer: {token: very-secret}}}}
keys: {k: {algorithm: HS256, key: also-secret}}
labels: {team: supply-chain}
status: {prometheus: true}
`,
  });
});
afterAll(async () => svc.stop());

describe('GET /health', () => {
  it('is 200 {} and 500 with ?bundles until every bundle activated', async () => {
    expect(await (await fetch(`${svc.url}/health`)).json()).toEqual({});
    svc.status.expectBundles(['sbom']);
    const notYet = await fetch(`${svc.url}/health?bundles`);
    expect(notYet.status).toBe(500);
    expect(await notYet.json()).toEqual({ error: 'one or more bundles are not activated' });
    svc.status.reportBundle({ name: 'sbom', active_revision: 'r', last_successful_activation: new Date().toISOString() });
    expect((await fetch(`${svc.url}/health?bundles`)).status).toBe(200);
  });

  it('is 500 with ?plugins unless every component is OK, honouring exclude-plugin', async () => {
    svc.status.register('vulnerability_db', { state: 'WARN', message: 'stale' });
    expect((await fetch(`${svc.url}/health?plugins`)).status).toBe(500);
    expect((await fetch(`${svc.url}/health?plugins&exclude-plugin=vulnerability_db`)).status).toBe(200);
  });
});

describe('GET /v1/status', () => {
  it('reports labels, bundles, components with their details, and cache sizes', async () => {
    svc.status.update('vulnerability_db', { state: 'OK', details: { version: 'osv-2026-01-01' } });
    svc.status.update('registry', { state: 'WARN', details: { errors: { 'reg.example': 'connection refused' } } });
    await fetch(`${svc.url}/v1/data/wasm/sbom`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: `r.io/a@${D}` } } }) });
    await fetch(`${svc.url}/v1/data/wasm/sbom`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: `r.io/a@${D}` } } }) });
    const { result } = (await (await fetch(`${svc.url}/v1/status`)).json()) as { result: Record<string, any> };
    expect(result.labels).toMatchObject({ team: 'supply-chain', version: '0.1.0', id: expect.any(String) });
    expect(result.plugins.vulnerability_db).toEqual({ state: 'OK', details: { version: 'osv-2026-01-01' } });
    expect(result.plugins.registry.details.errors['reg.example']).toBe('connection refused');
    expect(result.caches.decision).toMatchObject({ size: 1, hits: 1, misses: 1 });
    expect(result.bundles.sbom.active_revision).toBe('r');
    expect(Array.isArray(result.metrics.prometheus)).toBe(true);
  });
});

describe('GET /v1/config', () => {
  it('shows the active config without secrets', async () => {
    const text = await (await fetch(`${svc.url}/v1/config`)).text();
    expect(text).not.toContain('very-secret');
    expect(text).not.toContain('also-secret');
    expect(JSON.parse(text).result.decision.deadline_ms).toBe(900);
  });
});

describe('GET /metrics', () => {
  it('exposes OPA\'s HTTP histogram, decisions by outcome, cache hits and bundle metrics', async () => {
    const res = await fetch(`${svc.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/http_request_duration_seconds_count\{code="200",handler="v1\/data",method="post"\} \d+/);
    expect(text).toMatch(/wasmgate_decisions_total\{outcome="allow"\} 2/);
    expect(text).toMatch(/wasmgate_cache_hits_total\{cache="decision"\} 1/);
    expect(text).toContain('wasmgate_cache_entries{cache="decision"} 1');
    for (const name of ['bundle_loaded_counter', 'bundle_failed_load_counter', 'last_success_bundle_activation', 'process_cpu_user_seconds_total']) expect(text).toContain(name);
  });
});
