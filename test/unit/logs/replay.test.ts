import { describe, expect, it } from 'vitest';
import type { DecisionEventV1 } from '../../../src/logs/index.ts';
import { predicateDigest, replayAnswer, restoreInput } from '../../../src/logs/index.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const event = (extra: Partial<DecisionEventV1>): DecisionEventV1 => ({
  labels: { id: 'i', version: 'v' }, decision_id: 'd1', timestamp: '2026-01-01T00:00:00Z', path: 'wasm/sbom',
  input: { module: { ref: `r.example/app@${DIGEST}`, repository: 'r.example/app', digest: DIGEST }, sbom_attestations: [{ manifest_digest: DIGEST, verified: true }] },
  ...extra,
});

describe('restoreInput', () => {
  it('returns a whole logged input as it is, without asking the registry', async () => {
    const decider = createFakeDecider();
    const { input, restored } = await restoreInput(event({}), decider);
    expect(restored).toEqual([]);
    expect(decider.calls).toHaveLength(0);
    expect(input.module).toMatchObject({ digest: DIGEST });
  });

  it('re-fetches an erased predicate by attestation digest and checks its sha256', async () => {
    const decider = createFakeDecider();
    const predicate = { bomFormat: 'CycloneDX', components: [{ name: 'big' }] };
    const e = event({ erased: ['/input/sbom_attestations/0/predicate'], custom: { wasmgate: { erased_predicates: { '/input/sbom_attestations/0/predicate': predicateDigest(predicate) } } } });
    const { input, restored } = await restoreInput(e, decider);
    expect(restored).toEqual(['/input/sbom_attestations/0/predicate']);
    expect((input.sbom_attestations as Array<{ predicate: unknown }>)[0]!.predicate).toEqual(predicate);
    expect(decider.calls[0]!.ref).toBe(`r.example/app@${DIGEST}`);
  });

  it('refuses masked events and erased values that are not predicates', async () => {
    await expect(restoreInput(event({ masked: ['/input/request/labels/owner'] }), createFakeDecider())).rejects.toMatchObject({ code: 'REPLAY_NOT_REPLAYABLE' });
    await expect(restoreInput(event({ erased: ['/input/request/labels'] }), createFakeDecider())).rejects.toMatchObject({ code: 'REPLAY_NOT_REPLAYABLE', message: expect.stringContaining('/input/request/labels') });
  });
});

describe('replayAnswer', () => {
  const bundle = {
    name: 'b', revision: 'r', entrypoints: ['wasm/sbom/allow', 'wasm/sbom/deny'],
    evaluate: (path: string, input: unknown) => (path.endsWith('/allow') ? { defined: true as const, result: (input as { ok: boolean }).ok } : { defined: true as const, result: (input as { ok: boolean }).ok ? [] : ['z', 'a'] }),
  };
  it('answers a decision path as wasmgate did: {allow, deny (sorted), digest}, allow only without input.errors', () => {
    expect(replayAnswer(bundle, 'wasm/sbom', { ok: false, module: { digest: DIGEST } }, ['wasm/sbom'])).toEqual({ defined: true, result: { allow: false, deny: ['a', 'z'], digest: DIGEST } });
    expect(replayAnswer(bundle, 'wasm/sbom/allow', { ok: true, errors: [{ code: 'x', message: 'y' }] }, ['wasm/sbom'])).toEqual({ defined: true, result: false });
    expect(replayAnswer(bundle, 'wasm/sbom/allow', { ok: true }, ['wasm/sbom'])).toEqual({ defined: true, result: true });
  });
});
