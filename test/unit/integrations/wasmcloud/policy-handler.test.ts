import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSilentLogger } from '../../../../src/common/logger.ts';
import { createPolicyHandler, parsePolicyRequest, toWasmcloudOptions, WasmcloudError, type PolicyResponseV1 } from '../../../../src/integrations/wasmcloud/index.ts';
import { createFakeDecider } from '../../../support/fake-decider.ts';
import { performInvocation, startComponent, startProvider } from '../../../support/wasmcloud-messages.ts';

const GOOD = 'registry.example/org/good@sha256:' + 'a'.repeat(64);
const BAD = 'registry.example/org/bad:1.0.0';

function setup(over: Parameters<typeof toWasmcloudOptions>[0] = { natsUrl: 'nats://127.0.0.1:4222' }) {
  const decider = createFakeDecider({ allowOnly: [GOOD], denyReasons: (ref) => [`module ${ref} is missing a valid CycloneDX SBOM attestation`] });
  const published: PolicyResponseV1[] = [];
  const handler = createPolicyHandler(toWasmcloudOptions(over), decider, createSilentLogger(), (r) => published.push(r));
  return { decider, published, handler };
}

describe('parsePolicyRequest', () => {
  it('returns a typed startComponent request', () => {
    const r = parsePolicyRequest(startComponent('01J-1', GOOD));
    expect(r.kind).toBe('startComponent');
    expect(r.kind !== 'performInvocation' && r.request.imageRef).toBe(GOOD);
  });

  describe('when the shape is wrong', () => {
    it.each([
      ['a non-object', 42],
      ['no requestId', { kind: 'startComponent', version: 'v1', request: { imageRef: 'x' } }],
      ['version v2', { ...startComponent('x', GOOD), version: 'v2' }],
      ['an unknown kind', { ...startComponent('x', GOOD), kind: 'unknown' }],
      ['no imageRef', { ...startComponent('x', GOOD), request: { componentId: 'c' } }],
    ])('throws WASMCLOUD_REQUEST_INVALID for %s', (_name, payload) => {
      expect(() => parsePolicyRequest(payload)).toThrow(WasmcloudError);
      try { parsePolicyRequest(payload); } catch (e) { expect((e as WasmcloudError).code).toBe('WASMCLOUD_REQUEST_INVALID'); }
    });
  });

  it('never throws anything but WasmcloudError on arbitrary JSON (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      try { parsePolicyRequest(v); } catch (e) { return e instanceof WasmcloudError; }
      return true;
    }), { seed: 8, numRuns: 500 });
  });
});

describe('toWasmcloudOptions', () => {
  it('injects defaults', () => {
    const o = toWasmcloudOptions({ natsUrl: 'nats://127.0.0.1:4222' });
    expect(o).toMatchObject({ policyTopic: 'wasmcloud.policy', invocation: 'allow', deadlineMs: 900, hostTimeoutMs: 1000 });
  });

  describe('when the deadline is not below the host timeout', () => {
    it('throws WASMCLOUD_CONFIG_INVALID naming the key', () => {
      expect(() => toWasmcloudOptions({ natsUrl: 'nats://127.0.0.1:4222', deadlineMs: 1000 })).toThrow(/integrations\.wasmcloud\.deadline_ms/);
    });
  });

  it('rejects a wildcard topic and an unknown invocation mode', () => {
    expect(() => toWasmcloudOptions({ natsUrl: 'nats://x:1', policyTopic: 'wasmcloud.>' })).toThrow(/policy_topic/);
    expect(() => toWasmcloudOptions({ natsUrl: 'nats://x:1', invocation: 'maybe' as 'allow' })).toThrow(/invocation/);
  });
});

describe('PolicyHandler.handle', () => {
  it('permits startComponent when the decider allows the imageRef, echoing the requestId', async () => {
    const { handler, decider } = setup();
    const r = await handler.handle(startComponent('req-1', GOOD));
    expect(r).toMatchObject({ requestId: 'req-1', permitted: true });
    expect(decider.calls[0]).toMatchObject({ ref: GOOD, path: 'wasm/sbom', request: { runtime: 'wasmcloud', labels: { zone: 'a' } } });
  });

  it('denies startProvider with the deny reasons in the message', async () => {
    const { handler } = setup();
    const r = await handler.handle(startProvider('req-2', BAD));
    expect(r.permitted).toBe(false);
    expect(r.message).toMatch(/missing a valid CycloneDX SBOM attestation/);
  });

  it('denies (fail closed) when the decider throws', async () => {
    const { handler, decider } = setup();
    decider.throwFor.add(GOOD);
    const r = await handler.handle(startComponent('req-3', GOOD));
    expect(r).toMatchObject({ requestId: 'req-3', permitted: false });
    expect(r.message).toMatch(/could not decide.*unreachable/);
  });

  it('denies an invalid request, echoing its requestId when it has one', async () => {
    const { handler } = setup();
    expect(await handler.handle({ requestId: 'bad-1', kind: 'frobnicate', version: 'v1' })).toMatchObject({ requestId: 'bad-1', permitted: false });
    expect(await handler.handle(null)).toMatchObject({ requestId: '', permitted: false });
  });

  describe('performInvocation', () => {
    it.each([['allow', true], ['deny', false]] as const)('answers %s from config without deciding', async (mode, permitted) => {
      const { handler, decider } = setup({ natsUrl: 'nats://x:1', invocation: mode });
      expect(await handler.handle(performInvocation('inv-1', BAD))).toMatchObject({ requestId: 'inv-1', permitted });
      expect(decider.calls).toHaveLength(0);
    });

    it('decides on the target imageRef in decide mode', async () => {
      const { handler, decider } = setup({ natsUrl: 'nats://x:1', invocation: 'decide' });
      expect(await handler.handle(performInvocation('inv-2', GOOD))).toMatchObject({ permitted: true });
      expect(decider.calls[0]?.ref).toBe(GOOD);
      expect(decider.calls[0]?.request).toMatchObject({ wasmcloud: { interface: 'wasi:http/incoming-handler', function: 'handle' } });
    });
  });

  describe('when the decider misses the deadline', () => {
    it('denies at the deadline, then overrides with the original requestId once the decision arrives', async () => {
      const { handler, decider, published } = setup({ natsUrl: 'nats://x:1', deadlineMs: 20 });
      decider.hold(GOOD);
      const r = await handler.handle(startComponent('slow-1', GOOD));
      expect(r).toMatchObject({ requestId: 'slow-1', permitted: false });
      expect(r.message).toMatch(/no decision within 20 ms/);
      decider.release(GOOD);
      await expect.poll(() => published).toHaveLength(1);
      expect(published[0]).toMatchObject({ requestId: 'slow-1', permitted: true });
    });
  });
});

describe('PolicyHandler.recheck', () => {
  it('publishes an override with the original requestId only for flipped decisions', async () => {
    const { handler, decider, published } = setup();
    await handler.handle(startComponent('a-1', GOOD, 'a'));
    await handler.handle(startComponent('b-1', BAD, 'b'));
    decider.allowed.delete(GOOD); // a new bundle denies what was allowed
    decider.allowed.add(BAD); // and allows what was denied
    expect(await handler.recheck()).toEqual({ rechecked: 2, overridden: 2 });
    expect(published).toEqual(expect.arrayContaining([
      expect.objectContaining({ requestId: 'a-1', permitted: false }),
      expect.objectContaining({ requestId: 'b-1', permitted: true }),
    ]));
    expect(await handler.recheck()).toEqual({ rechecked: 2, overridden: 0 });
  });

  it('keeps only the newest requestId per host cache key and stays bounded', async () => {
    const { handler, decider, published } = setup({ natsUrl: 'nats://x:1', maxCachedRequests: 2 });
    await handler.handle(startComponent('old', GOOD, 'same'));
    await handler.handle(startComponent('new', GOOD, 'same'));
    expect(handler.cache.size).toBe(1);
    await handler.handle(startComponent('c2', GOOD, 'c2'));
    await handler.handle(startComponent('c3', GOOD, 'c3'));
    expect(handler.cache.size).toBe(2);
    expect(handler.cache.evicted).toBe(1);
    decider.allowed.clear();
    await handler.recheck();
    expect(published.map((p) => p.requestId).sort()).toEqual(['c2', 'c3']);
  });

  it('publishes nothing when no changes topic is configured', async () => {
    const { handler, decider, published } = setup({ natsUrl: 'nats://x:1', changesTopic: null });
    await handler.handle(startComponent('a-1', GOOD));
    decider.allowed.clear();
    expect((await handler.recheck()).overridden).toBe(0);
    expect(published).toHaveLength(0);
  });
});
