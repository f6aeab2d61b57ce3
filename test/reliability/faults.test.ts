/**
 * Reliability 1 — faults: a loopback fault proxy between wasmgate's pipeline and a real
 * registry (wasmgate-testregistry) holding a module with real cosign evidence. Under added
 * latency, connection resets, 5xx, 429 storms, truncated bodies and wrong bytes, every
 * decision is a deny with a reason or a correct allow, within the deadline (fail closed);
 * an allow never rests on bad evidence; nothing rejects unhandled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/decide/types.ts';
import type { RegistryClientOptions } from '../../src/registry/index.ts';
import { anonymousCredentials } from '../../src/registry/index.ts';
import { startFaultProxy, startTestRegistry, type Fault, type FaultProxy, type FaultRequest, type RunningRegistry } from '../support/registries.ts';
import { missingOutsideCi } from '../support/tools.ts';
import { count, LONG, prng, recorder, trapUnhandled } from './support/results.ts';
import { freshDecider, KEY_ID, signedWorld, type SignedWorld } from './support/world.ts';

const DEADLINE_MS = 1500;
/** the deadline decorator answers at the deadline; this is slack for a loaded 2-core machine, not a speed check */
const LATE_MS = DEADLINE_MS + 1500;
const N = count(12, 150);
/** per scenario: a decision can take up to the deadline */
const SCENARIO_TIMEOUT = LONG ? 1_800_000 : 180_000;
const results = recorder('faults', 'Faults: a fault proxy between wasmgate and the registry');

/** Reverses the DSSE payload's predicate of every sigstore bundle blob: the signature no longer covers it. */
function tamperBundle(body: Buffer): Buffer {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { dsseEnvelope?: { payload?: string } };
    const payload = doc.dsseEnvelope?.payload;
    if (typeof payload !== 'string') return body;
    const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { predicate?: Record<string, unknown> };
    statement.predicate = { ...statement.predicate, tampered: true, components: [] };
    doc.dsseEnvelope!.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    return Buffer.from(JSON.stringify(doc));
  } catch {
    return body;
  }
}

describe.skipIf(missingOutsideCi('oras', 'cosign', 'opa', 'wasmgate-testregistry'))('decisions through a faulty registry', () => {
  let upstream: RunningRegistry;
  let proxy: FaultProxy;
  let world: SignedWorld;
  let baseline: Decision;
  const unhandled = trapUnhandled();
  const registryOptions = (): RegistryClientOptions => ({
    credentials: anonymousCredentials,
    allowedHosts: [proxy.host],
    insecureHosts: [proxy.host],
    retries: 2,
    backoffMs: 10,
    requestTimeoutMs: 400,
    maxRetryAfterMs: 1000,
  });
  const ref = (): string => `${proxy.host}/reliability/payments@${world.module.digest}`;

  async function decideOnce(): Promise<{ d: Decision; ms: number }> {
    const { decider, close } = freshDecider(world, registryOptions(), DEADLINE_MS);
    const t0 = performance.now();
    try {
      const d = await decider.decide({ ref: ref() });
      return { d, ms: performance.now() - t0 };
    } finally {
      await close();
    }
  }

  /** What must hold for every decision under any fault; returns the problems found. */
  function problems(d: Decision, ms: number, mustDeny: boolean): string[] {
    const out: string[] = [];
    if (ms > LATE_MS) out.push(`answered after ${Math.round(ms)} ms (deadline ${DEADLINE_MS} ms)`);
    if (d.allow) {
      if (mustDeny) out.push('allowed although every attestation was tampered with');
      if (d.errors.length > 0) out.push(`allowed with errors ${JSON.stringify(d.errors)}`);
      if (d.digest !== world.module.digest) out.push(`allowed a different digest ${d.digest}`);
      const input = d.input;
      const verified = input ? [...input.signatures, ...input.sbom_attestations, ...input.provenance_attestations].filter((e) => e.verified && e.key?.id === KEY_ID).length : 0;
      if (verified < 3) out.push(`allowed on ${verified} verified pieces of evidence`);
    } else if (d.deny.length === 0 && d.errors.length === 0) {
      out.push('denied without a reason');
    }
    return out;
  }

  async function scenario(name: string, checks: string, fault: (req: FaultRequest, rnd: () => number) => Fault | undefined, seed: number, opts: { mustDeny?: boolean; n?: number } = {}): Promise<void> {
    const rnd = prng(seed);
    proxy.setFault((req) => fault(req, rnd));
    const n = opts.n ?? N;
    const found: string[] = [];
    const unhandledBefore = unhandled.seen.length;
    for (let i = 0; i < n; i++) {
      let p: string[];
      try {
        const { d, ms } = await decideOnce();
        p = problems(d, ms, opts.mustDeny === true);
      } catch (err) {
        p = [`decide() threw: ${String(err)}`];
      }
      found.push(...p.map((x) => `#${i}: ${x}`));
    }
    proxy.setFault(() => undefined);
    // let any stray 'error' event of this scenario surface before counting
    await new Promise((r) => setTimeout(r, 50));
    found.push(...unhandled.seen.slice(unhandledBefore));
    results.record({ scenario: name, unit: 'decisions', count: n, failures: found.length, checks, ...(found[0] ? { first_failure: found[0] } : {}) });
    expect(found).toEqual([]);
  }

  beforeAll(async () => {
    upstream = await startTestRegistry();
    world = await signedWorld(upstream.host);
    proxy = await startFaultProxy({ upstream: upstream.host });
    baseline = (await decideOnce()).d;
  }, 180_000);

  afterAll(async () => {
    results.flush();
    unhandled.dispose();
    await proxy?.stop();
    await upstream?.stop();
    await world?.cleanup();
  });

  it('allows the module when nothing goes wrong (the baseline the faults are measured against)', () => {
    expect(baseline.errors).toEqual([]);
    expect(baseline.deny).toEqual([]);
    expect(baseline.allow).toBe(true);
  });

  const ALLOW_OR_REASON = 'deny with a reason or an allow on 3 verified pieces of evidence, within the deadline, nothing unhandled';

  it('added latency (0–250 ms on half the requests, some over the 400 ms request timeout)', async () => {
    await scenario('added latency', ALLOW_OR_REASON, (_r, rnd) => (rnd() < 0.5 ? { kind: 'delay', ms: rnd() < 0.1 ? 600 : Math.floor(rnd() * 250) } : undefined), 1);
  }, SCENARIO_TIMEOUT);

  it('connection resets (headers, then the connection drops)', async () => {
    await scenario('connection resets', ALLOW_OR_REASON, (_r, rnd) => (rnd() < 0.3 ? { kind: 'truncate', bytes: 0 } : undefined), 2);
  }, SCENARIO_TIMEOUT);

  it('5xx answers', async () => {
    const statuses = [500, 502, 503, 504];
    await scenario('5xx', ALLOW_OR_REASON, (_r, rnd) => (rnd() < 0.3 ? { kind: 'status', status: statuses[Math.floor(rnd() * statuses.length)]! } : undefined), 3);
  }, SCENARIO_TIMEOUT);

  it('429 storms (Retry-After 0, 1 or an hour)', async () => {
    const after = ['0', '1', '3600'];
    await scenario('429 storm', ALLOW_OR_REASON, (r, rnd) => (r.count < 3 || rnd() < 0.3 ? { kind: 'status', status: 429, headers: { 'retry-after': after[Math.floor(rnd() * after.length)]! } } : undefined), 4, { n: Math.max(4, Math.floor(N / 2)) });
  }, SCENARIO_TIMEOUT);

  it('truncated bodies', async () => {
    await scenario('truncated bodies', ALLOW_OR_REASON, (r, rnd) => (r.method === 'GET' && rnd() < 0.3 ? { kind: 'truncate' } : undefined), 5);
  }, SCENARIO_TIMEOUT);

  it('a blob or manifest with the wrong bytes (one byte flipped)', async () => {
    await scenario('wrong bytes', ALLOW_OR_REASON, (r, rnd) => (r.method === 'GET' && rnd() < 0.3 ? { kind: 'corrupt' } : undefined), 6);
  }, SCENARIO_TIMEOUT);

  it('every attestation rewritten (valid JSON, signature no longer covers it): never an allow', async () => {
    await scenario('tampered attestations', 'every decision a deny with a reason, within the deadline, nothing unhandled', (r) => (r.method === 'GET' && r.path.includes('/blobs/') ? { kind: 'rewrite', rewrite: tamperBundle } : undefined), 7, { mustDeny: true });
  }, SCENARIO_TIMEOUT);

  it('all of the above at once', async () => {
    await scenario(
      'mixed faults',
      ALLOW_OR_REASON,
      (r, rnd) => {
        const x = rnd();
        if (x < 0.08) return { kind: 'delay', ms: Math.floor(rnd() * 300) };
        if (x < 0.14) return { kind: 'truncate', bytes: 0 };
        if (x < 0.2) return { kind: 'status', status: 503 };
        if (x < 0.24) return { kind: 'status', status: 429, headers: { 'retry-after': '1' } };
        if (x < 0.3 && r.method === 'GET') return { kind: 'truncate' };
        if (x < 0.36 && r.method === 'GET') return { kind: 'corrupt' };
        return undefined;
      },
      8,
    );
  }, SCENARIO_TIMEOUT);

  it('saw no unhandled rejection', () => {
    results.record({ scenario: 'unhandled rejections / uncaught exceptions', unit: 'suites', count: 1, failures: unhandled.seen.length, checks: 'process-level unhandledRejection and uncaughtExceptionMonitor listeners saw nothing in any scenario', ...(unhandled.seen[0] ? { first_failure: unhandled.seen[0] } : {}) });
    expect(unhandled.seen).toEqual([]);
  });
});
