/**
 * The adapter against a real nats-server, with a client that plays the wasmCloud
 * 1.x host exactly: a NATS request on the policy topic with the host's JSON, a
 * reply with the same requestId, and a subscription on the policy-changes topic
 * where overrides arrive keyed by the original requestId.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { startWasmcloudPolicyService, type PolicyResponseV1, type WasmcloudPolicyService } from '../../../src/integrations/wasmcloud/index.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';
import { performInvocation, startComponent } from '../../support/wasmcloud-messages.ts';
import { startNatsServer, type NatsPeer } from './nats-server.ts';

const GOOD = 'registry.example/org/good@sha256:' + 'a'.repeat(64);
const BAD = 'registry.example/org/bad:1.0.0';
const SLOW = 'registry.example/org/slow:1.0.0';
const HOST_TIMEOUT_MS = 1000; // the host's default --policy-timeout-ms
const codec = JSONCodec<unknown>();

describe.skipIf(missingOutsideCi('nats-server'))('wasmCloud policy service over NATS', () => {
  let nats: NatsPeer;
  let host: NatsConnection;
  let service: WasmcloudPolicyService;
  const decider = createFakeDecider({ allowOnly: [GOOD], denyReasons: (ref) => [`module ${ref} is missing a valid CycloneDX SBOM attestation`] });
  const overrides: PolicyResponseV1[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    decider.hold(SLOW);
    service = await startWasmcloudPolicyService(
      { natsUrl: nats.url, policyTopic: 'wasmcloud.policy', changesTopic: 'wasmcloud.policy.changes', invocation: 'decide', deadlineMs: 300 },
      decider,
      createSilentLogger(),
    );
    host = await connect({ servers: nats.url });
    const changes = host.subscribe('wasmcloud.policy.changes');
    void (async () => {
      for await (const m of changes) overrides.push(codec.decode(m.data) as PolicyResponseV1);
    })();
    await host.flush();
  });

  afterAll(async () => {
    decider.release(SLOW);
    await host?.drain();
    await service?.stop();
    await nats?.stop();
  });

  async function ask(payload: unknown): Promise<PolicyResponseV1> {
    const msg = await host.request('wasmcloud.policy', codec.encode(payload), { timeout: HOST_TIMEOUT_MS });
    return codec.decode(msg.data) as PolicyResponseV1;
  }

  it('permits startComponent for an allowed imageRef, echoing the requestId', async () => {
    expect(await ask(startComponent('01HZX0AAAAAAAAAAAAAAAAAAAA', GOOD, 'good'))).toMatchObject({ requestId: '01HZX0AAAAAAAAAAAAAAAAAAAA', permitted: true });
  });

  it('denies startComponent for a denied imageRef with the reason', async () => {
    const r = await ask(startComponent('01HZX0BBBBBBBBBBBBBBBBBBBB', BAD, 'bad'));
    expect(r).toMatchObject({ requestId: '01HZX0BBBBBBBBBBBBBBBBBBBB', permitted: false });
    expect(r.message).toMatch(/SBOM/);
  });

  it('decides performInvocation on the target imageRef', async () => {
    expect(await ask(performInvocation('01HZX0CCCCCCCCCCCCCCCCCCCC', BAD))).toMatchObject({ permitted: false });
  });

  it('answers a malformed request with a denial instead of letting the host time out', async () => {
    const msg = await host.request('wasmcloud.policy', new TextEncoder().encode('{not json'), { timeout: HOST_TIMEOUT_MS });
    expect(codec.decode(msg.data)).toMatchObject({ requestId: '', permitted: false });
  });

  describe('when the decision is slower than the deadline', () => {
    it('denies inside the host timeout, then overrides with the original requestId', async () => {
      const r = await ask(startComponent('01HZX0DDDDDDDDDDDDDDDDDDDD', SLOW, 'slow'));
      expect(r).toMatchObject({ requestId: '01HZX0DDDDDDDDDDDDDDDDDDDD', permitted: false });
      decider.allowed.add(SLOW);
      decider.release(SLOW);
      await expect.poll(() => overrides.find((o) => o.requestId === '01HZX0DDDDDDDDDDDDDDDDDDDD'), { timeout: 5000 }).toMatchObject({ permitted: true });
    });
  });

  describe('when the policy changes', () => {
    it('publishes overrides for flipped decisions only, with the original requestIds', async () => {
      const before = overrides.length;
      decider.allowed.delete(GOOD);
      decider.allowed.add(BAD);
      const result = await service.onPolicyChange();
      expect(result.overridden).toBe(3); // good → deny, bad start → allow, bad invocation → allow
      await expect.poll(() => overrides.length, { timeout: 5000 }).toBe(before + 3);
      const fresh = overrides.slice(before);
      expect(fresh).toEqual(expect.arrayContaining([
        expect.objectContaining({ requestId: '01HZX0AAAAAAAAAAAAAAAAAAAA', permitted: false }),
        expect.objectContaining({ requestId: '01HZX0BBBBBBBBBBBBBBBBBBBB', permitted: true }),
        expect.objectContaining({ requestId: '01HZX0CCCCCCCCCCCCCCCCCCCC', permitted: true }),
      ]));
    });
  });

  describe('when wasmgate is stopped', () => {
    it('leaves no responder, so the host request errors instead of being permitted', async () => {
      await service.stop();
      await expect(ask(startComponent('01HZX0EEEEEEEEEEEEEEEEEEEE', GOOD, 'after-stop'))).rejects.toThrow();
    });
  });
});
