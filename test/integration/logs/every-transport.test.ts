/**
 * The running service logs every decision once, whatever asked it (issue 14 item 6): the OPA Data API and the
 * Gatekeeper provider share the logged decider; a cached answer is logged too (as a cache hit).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../../../src/registry/error.ts';
import type { DecisionEventV1 } from '../../../src/logs/event.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';
import { startTestService } from '../../support/service.ts';

const D = 'sha256:' + 'c'.repeat(64);

describe('the service logs one event per decision on every transport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-every-transport-'));
  });
  afterAll(async () => dir && rm(dir, { recursive: true, force: true }));

  it('logs Data API and Gatekeeper decisions, fail-closed ones included', async () => {
    const file = join(dir, 'events.jsonl');
    const decider = createFakeDecider({ fail: (req) => (req.ref.includes('down') ? new RegistryError('REGISTRY_UNREACHABLE', 'connect ECONNREFUSED 127.0.0.1:5000') : undefined) });
    const svc = await startTestService({
      decider,
      yaml: `registries: {allow: [r.example]}\ndecision: {deadline_ms: 5000}\nintegrations: {gatekeeper: {enabled: true}}\ndecision_logs: {file: ${JSON.stringify(file)}, request_context: {http: {headers: [X-Request-Id]}}}`,
    });
    try {
      const api = await fetch(`${svc.url}/v1/data/wasm/sbom/allow`, { method: 'POST', headers: { 'x-request-id': 'api-1' }, body: JSON.stringify({ input: { module: { ref: `r.example/app@${D}` } } }) });
      expect(await api.json()).toMatchObject({ result: true });
      const gk = await fetch(`${svc.url}/gatekeeper/v1/provide`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [`r.example/app@${D}`, 'r.example/down:1'] } }),
      });
      expect(gk.status).toBe(200);
    } finally {
      await svc.stop();
    }
    const events = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as DecisionEventV1);
    const transports = events.map((e) => (e.custom?.wasmgate as { transport: string }).transport).sort();
    expect(transports).toEqual(['gatekeeper', 'gatekeeper', 'http']);
    const api = events.find((e) => (e.custom?.wasmgate as { transport: string }).transport === 'http')!;
    expect(api).toMatchObject({ path: 'wasm/sbom/allow', result: true, req_id: 1, request_context: { http: { headers: { 'X-Request-Id': ['api-1'] } } } });
    expect(api.metrics?.timer_server_handler_ns).toBeGreaterThan(0);
    const down = events.find((e) => e.error !== undefined)!;
    expect(down).toMatchObject({ path: 'wasm/sbom', error: { code: 'registry_unreachable' }, result: { allow: false } });
    expect(events.filter((e) => e.error === undefined).every((e) => typeof e.requested_by === 'string')).toBe(true);
  });
});
