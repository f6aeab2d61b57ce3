/**
 * Load from hostile callers (issue 21 item 7): a flood of distinct refs is bounded by decision.admission — at most
 * max_concurrent computed at once, max_queued waiting, the rest denied at once with reason `overloaded` and
 * counted in wasmgate_decisions_shed_total; and a gzip bomb's 413 names the key that bounds it.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBundle } from '../support/fake-bundle.ts';
import { createFakeDecider } from '../support/fake-decider.ts';
import { startTestService } from '../support/service.ts';
import { attackLog, problems } from './support/attacks.ts';

const log = attackLog('security-load', 'Security: floods and bombs from callers (issue 21 item 7)', 'test/security/load.test.ts');
afterAll(() => log.flush());

const FLOOD = 200;
const MAX_CONCURRENT = 4;
const MAX_QUEUED = 8;

describe('a flood of distinct refs', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  // a slow pipeline: each uncached decision holds its slot for 300 ms
  const slow = createFakeDecider({ delayMs: 300 });

  beforeAll(async () => {
    service = await startTestService({
      decider: slow,
      bundle: createFakeBundle(),
      versions: () => ({ bundleRevision: 'rev-1', trustHash: 't', dbVersion: 'd' }),
      yaml: `decision: {deadline_ms: 5000, admission: {max_concurrent: ${MAX_CONCURRENT}, max_queued: ${MAX_QUEUED}}}\nregistries: {allow: [reg.example]}`,
    });
  });
  afterAll(async () => service?.stop());

  it(`computes at most max_concurrent of ${FLOOD} concurrent distinct refs at once and sheds what the queue cannot hold`, async () => {
    const answers = await Promise.all(Array.from({ length: FLOOD }, async () => {
      const ref = `reg.example/app@sha256:${randomBytes(32).toString('hex')}`;
      const res = await fetch(`${service.url}/v1/data/wasm/sbom`, { method: 'POST', body: JSON.stringify({ input: { module: { ref } } }) });
      return { status: res.status, body: (await res.json()) as { result?: { allow: boolean; deny: string[] } } };
    }));
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const peak = slow.maxInFlight;
    const computed = slow.calls.length;
    const shedMetric = Number(/wasmgate_decisions_shed_total\{reason="queue_full"\} (\d+)/.exec(metrics)?.[1] ?? '0');
    const overloaded = answers.filter((a) => a.body.result?.deny.some((d) => d.startsWith('overloaded:')));
    const p = problems();
    p.check(answers.every((a) => a.status === 200), `HTTP statuses ${[...new Set(answers.map((a) => a.status))].join(',')}`);
    p.check(answers.every((a) => a.body.result?.allow === true || a.body.result?.allow === false), 'an answer without a verdict');
    p.check(peak <= MAX_CONCURRENT, `${peak} decisions computed at once`);
    // arrivals trickle in, so a freed queue slot may take a later ask; never more than a fraction of the flood
    p.check(computed < FLOOD / 4, `${computed} decisions computed`);
    p.check(overloaded.length === FLOOD - computed, `${overloaded.length} denied as overloaded, ${computed} computed`);
    p.check(overloaded.every((a) => a.body.result?.allow === false), 'a shed decision allowed');
    p.check(shedMetric === overloaded.length, `wasmgate_decisions_shed_total{reason="queue_full"} is ${shedMetric}`);
    log.attack(`${FLOOD} concurrent distinct refs against a slow pipeline (admission ${MAX_CONCURRENT} + ${MAX_QUEUED})`, `at most ${MAX_CONCURRENT} computed at once; asks beyond the ${MAX_QUEUED} waiting are answered at once: deny overloaded, counted in wasmgate_decisions_shed_total`, p.list, FLOOD);
  });

  it('names server.decoding.gzip.max_length when a gzip body inflates past it', async () => {
    const res = await fetch(`${service.url}/v1/data/wasm/sbom`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ input: { module: { ref: 'reg.example/app:1' }, pad: 'x'.repeat(10 * 1024 * 1024) } })),
    });
    const body = (await res.json()) as { message: string };
    const p = problems();
    p.check(res.status === 413, `HTTP ${res.status}`);
    p.check(body.message.includes('server.decoding.gzip.max_length'), `message: ${body.message}`);
    log.attack('gzip body that inflates past the gunzip bound', 'HTTP 413 naming server.decoding.gzip.max_length', p.list);
    expect(res.status).toBe(413);
  });
});
