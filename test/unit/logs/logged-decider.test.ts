import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { withDeadline } from '../../../src/decide/deadline.ts';
import { CallerError } from '../../../src/decide/error.ts';
import { withDecisionLog } from '../../../src/logs/logged-decider.ts';
import type { DecisionLogRecord } from '../../../src/logs/event.ts';
import { createGatekeeperRouter } from '../../../src/integrations/gatekeeper/index.ts';
import { createPolicyHandler, toWasmcloudOptions } from '../../../src/integrations/wasmcloud/index.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';
import { startComponent } from '../../support/wasmcloud-messages.ts';

const GOOD = 'registry.example/org/good@sha256:' + 'a'.repeat(64);
const BAD = 'registry.example/org/bad:1.0.0';

function memoryLog(): { enabled: true; records: DecisionLogRecord[]; log(r: DecisionLogRecord): void } {
  const records: DecisionLogRecord[] = [];
  return { enabled: true, records, log: (r) => void records.push(r) };
}

function logged() {
  const inner = createFakeDecider({ allowOnly: [GOOD] });
  const target = memoryLog();
  const decider = withDecisionLog(withDeadline(inner, { deadlineMs: 2000 }), target, () => 'sbom', 'wasm/sbom');
  return { inner, target, decider };
}

describe('withDecisionLog', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('logs one event per decision with the verdict, the decided path and the bundle revision', async () => {
    const { decider, target } = logged();
    const d = await decider.decide({ ref: GOOD });
    expect(target.records).toHaveLength(1);
    expect(target.records[0]).toMatchObject({
      decision_id: d.decision_id,
      path: 'wasm/sbom',
      result: { allow: true, deny: [], digest: d.digest },
      bundles: { sbom: { revision: 'rev-1' } },
      wasmgate: { transport: 'cli', cached: false },
      metrics: { counter_server_query_cache_hit: 0 },
    });
  });

  it('logs a fail-closed answer once, with OPA\'s error object', async () => {
    const { decider, inner, target } = logged();
    inner.throwFor.add(BAD);
    const d = await decider.decide({ ref: BAD });
    expect(d.allow).toBe(false);
    expect(target.records).toHaveLength(1);
    expect(target.records[0]!.error).toEqual({ code: 'internal_error', message: expect.stringMatching(/unreachable/) });
    expect(target.records[0]!.result).toMatchObject({ allow: false });
  });

  it('does not log a caller mistake (a 4xx, no decision)', async () => {
    const inner = createFakeDecider({ fail: () => new CallerError('invalid_ref', 'bad ref') });
    const target = memoryLog();
    const decider = withDecisionLog(inner, target, () => undefined);
    await expect(decider.decide({ ref: 'x' })).rejects.toThrow(/bad ref/);
    expect(target.records).toHaveLength(0);
    expect(inner.calls).toHaveLength(1);
  });

  it('takes the path as asked, the answer shape, the caller and timer_server_handler_ns from the transport', async () => {
    const { decider, target } = logged();
    const started = process.hrtime.bigint();
    await decider.decide({ ref: GOOD, log: { transport: 'http', path: 'wasm/sbom/allow', answer: (x) => x.allow, requested_by: '127.0.0.1:1', req_id: 7, headers: { 'x-request-id': 'abc' }, started } });
    const r = target.records[0]!;
    expect(r).toMatchObject({ path: 'wasm/sbom/allow', result: true, requested_by: '127.0.0.1:1', req_id: 7, headers: { 'x-request-id': 'abc' }, wasmgate: { transport: 'http' } });
    expect(r.metrics!.timer_server_handler_ns).toBeGreaterThan(0);
  });

  it('logs an undefined answer without result', async () => {
    const { decider, target } = logged();
    await decider.decide({ ref: GOOD, log: { transport: 'http', path: 'wasm/sbom/nonexistent', answer: () => undefined } });
    expect(target.records[0]).not.toHaveProperty('result');
  });

  it('logs Gatekeeper decisions, one event per key', async () => {
    const { decider, target } = logged();
    const app = express();
    app.use('/gk', createGatekeeperRouter(decider, { maxKeys: 5 }));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server!.once('listening', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gk`;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [GOOD, BAD] } }) });
    expect(res.status).toBe(200);
    expect(target.records.map((r) => [r.wasmgate?.transport, (r.result as { allow: boolean }).allow])).toEqual(expect.arrayContaining([['gatekeeper', true], ['gatekeeper', false]]));
    expect(target.records).toHaveLength(2);
    expect(target.records[0]!.requested_by).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('logs wasmCloud decisions', async () => {
    const { decider, target } = logged();
    const handler = createPolicyHandler(toWasmcloudOptions({ natsUrl: 'nats://127.0.0.1:4222' }), decider, createSilentLogger(), () => {});
    const answer = await handler.handle(startComponent('req-1', GOOD));
    expect(answer.permitted).toBe(true);
    expect(target.records).toHaveLength(1);
    expect(target.records[0]).toMatchObject({ wasmgate: { transport: 'wasmcloud' }, result: { allow: true } });
  });

  it('is not consulted when logging is off', async () => {
    const inner = createFakeDecider({ allowOnly: [GOOD] });
    let called = 0;
    const decider = withDecisionLog(inner, { enabled: false, log: () => void called++ }, () => undefined);
    await decider.decide({ ref: GOOD });
    expect(called).toBe(0);
  });
});

