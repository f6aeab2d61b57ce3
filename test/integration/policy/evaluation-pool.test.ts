/**
 * Policy evaluation off the event loop (issue 15): the real pipeline on the demo store with the embedded bundle,
 * evaluating on worker threads. A worker that dies under an evaluation fails that decision closed and the pool
 * recovers; over the queue bound a decision is denied with reason `overloaded` and counted.
 */
import { fileURLToPath } from 'node:url';
import type { InputV1 } from '../../../src/contract/input-v1.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { createCollector } from '../../../src/collect/collect.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { withDeadline } from '../../../src/decide/deadline.ts';
import { createPipelineDecider } from '../../../src/decide/pipeline.ts';
import type { Decider } from '../../../src/decide/types.ts';
import { embeddedBundlePath, loadBundleFile } from '../../../src/policy/engine/engine.ts';
import { createEvaluationPool, type EvaluationPool } from '../../../src/policy/pool/pool.ts';
import { loadTrustPolicy } from '../../../src/verify/trust/load.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FAULTY_WORKER = new URL('../../support/eval-worker-faults.ts', import.meta.url);
const REF = `oci:${ROOT}demo/store:payments`;

describe('evaluation worker pool', () => {
  let pool: EvaluationPool | undefined;
  const collector = createCollector();
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  async function setup(options: { threads: number; maxQueue: number }): Promise<{ decider: Decider; events: string[] }> {
    const events: string[] = [];
    pool = createEvaluationPool({ ...options, workerUrl: FAULTY_WORKER, onEvent: (e) => events.push(e) });
    const bundle = await loadBundleFile(embeddedBundlePath());
    await pool.prepare(bundle);
    const config = parseConfig(EMBEDDED_DEFAULT_CONFIG_YAML, { env: {} });
    const trust = loadTrustPolicy(config.trust, { baseDir: ROOT });
    const p = pool;
    const pipeline = createPipelineDecider({
      collector,
      trust: () => trust,
      bundle: () => bundle,
      vulnerabilities: () => null,
      vulnerabilityProblem: () => null, // this test is about evaluation: no vulnerability data, said explicitly
      evaluate: (b, path, input, document) => p.evaluate(b, path, input, document),
    });
    return { decider: withDeadline(pipeline, { deadlineMs: 20_000 }), events };
  }

  it('evaluates on a worker with the same answer as on the event loop', async () => {
    const { decider } = await setup({ threads: 1, maxQueue: 8 });
    const d = await decider.decide({ ref: REF });
    expect(d).toMatchObject({ allow: true, deny: [], errors: [] });
    expect(pool!.stats()).toMatchObject({ threads: 1, completed: 1, crashed: 0 });
    // an idle worker stays (it is not ended and started again for each evaluation)
    await new Promise((r) => setTimeout(r, 300));
    expect(pool!.stats().threads).toBe(1);
  });

  it('evaluates the whole package document on the worker when the caller asks for it', async () => {
    const { decider } = await setup({ threads: 1, maxQueue: 8 });
    const verdictOnly = await decider.decide({ ref: REF });
    expect(Object.keys(verdictOnly.result as object).sort()).toEqual(['allow', 'deny']);
    const d = await decider.decide({ ref: REF, document: true });
    expect(d).toMatchObject({ allow: true, deny: [], errors: [], document: true });
    // OPA's package document: the seed's rules beside the verdict
    expect(d.result).toMatchObject({ allow: true, deny: [], valid_sbom_attestation: true, valid_provenance_attestation: true });
    expect(pool!.stats()).toMatchObject({ completed: 2, crashed: 0 });
  });

  it('fails the decision closed when its worker dies, and the pool recovers', async () => {
    const { decider, events } = await setup({ threads: 1, maxQueue: 8 });
    const crashed = await decider.decide({ ref: REF, request: { labels: { note: 'crash-the-worker' } } });
    expect(crashed.allow).toBe(false);
    expect(crashed.errors[0]?.code).toBe('internal_error');
    expect(crashed.deny[0]).toMatch(/evaluation worker died/);
    expect(events).toEqual(['worker_crashed']);

    const after = await decider.decide({ ref: REF });
    expect(after).toMatchObject({ allow: true, errors: [] });
    expect(pool!.stats()).toMatchObject({ crashed: 1, threads: 1 });
  });

  it('denies with reason overloaded beyond the queue bound, and counts it', async () => {
    const { decider, events } = await setup({ threads: 1, maxQueue: 1 });
    const bundle = await loadBundleFile(embeddedBundlePath());
    await pool!.prepare(bundle);
    const SLOW = { note: 'slow-evaluation' } as unknown as InputV1;
    // one evaluation holds the only worker for 5 s, one waits: the queue is full
    const held = [pool!.evaluate(bundle, 'wasm/sbom', SLOW), pool!.evaluate(bundle, 'wasm/sbom', SLOW)];
    const turnedAway = await decider.decide({ ref: REF });
    expect(turnedAway.allow).toBe(false);
    expect(turnedAway.errors[0]?.code).toBe('overloaded');
    expect(turnedAway.deny[0]).toMatch(/^overloaded: 1 policy evaluations are already waiting for a worker/);
    expect(events).toEqual(['queue_full']);
    expect(pool!.stats().rejected).toBe(1);

    await Promise.all(held);
    expect(await decider.decide({ ref: REF })).toMatchObject({ allow: true, errors: [] });
  });
});
