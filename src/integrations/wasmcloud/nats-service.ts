/**
 * The NATS side of the wasmCloud adapter: a subscription on the host's policy
 * topic that replies to each request, and publication of overrides on the
 * policy-changes topic.
 */
import { connect, JSONCodec, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from '../../common/logger.ts';
import { messageOf } from '../../common/error.ts';
import type { Decider } from '../../decide/types.ts';
import { WasmcloudError } from './error.ts';
import { toWasmcloudOptions, type WasmcloudPolicyOptions } from './options.ts';
import { createPolicyHandler, type RecheckResult } from './policy-handler.ts';
import type { PolicyResponseV1 } from './protocol.ts';

export interface WasmcloudPolicyService {
  /** Re-decides the answered requests; call after a bundle activation or a vulnerability DB refresh. */
  onPolicyChange(): Promise<RecheckResult>;
  /** Drains the subscription (in-flight answers are sent) and closes the connection. */
  stop(): Promise<void>;
  /** answered requests held for overrides */
  cachedRequests(): number;
}

export async function startWasmcloudPolicyService(
  input: Partial<WasmcloudPolicyOptions> & { natsUrl: string },
  decider: Decider,
  logger: Logger,
): Promise<WasmcloudPolicyService> {
  const opts = toWasmcloudOptions(input);
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: opts.natsUrl.split(','), name: 'wasmgate-policy', maxReconnectAttempts: -1, timeout: 5000 });
  } catch (err) {
    throw new WasmcloudError('WASMCLOUD_CONNECT_FAILED', `cannot connect to NATS at ${opts.natsUrl}: ${messageOf(err)} (check integrations.wasmcloud.nats_url and that nats-server runs)`, { cause: err });
  }
  const codec = JSONCodec<unknown>();
  const publish = (r: PolicyResponseV1): void => {
    if (opts.changesTopic !== null && !nc.isClosed()) nc.publish(opts.changesTopic, codec.encode(r));
  };
  const handler = createPolicyHandler(opts, decider, logger, publish);
  const sub: Subscription = nc.subscribe(opts.policyTopic, opts.queueGroup === null ? {} : { queue: opts.queueGroup });

  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const msg of sub) {
      let payload: unknown = null;
      try {
        payload = codec.decode(msg.data);
      } catch {
        payload = null;
      }
      // Each request is answered on its own, so a slow decision does not hold up the next one.
      const answered = handler.handle(payload).then((response) => {
        if (msg.reply && !nc.isClosed()) msg.respond(codec.encode(response));
      });
      inFlight.add(answered);
      void answered.finally(() => inFlight.delete(answered));
    }
  })().catch((err: unknown) => {
    logger.error({ err: messageOf(err), topic: opts.policyTopic }, 'wasmcloud: policy subscription ended with an error; the host will time out (fail closed)');
  });
  void nc.closed().then((err) => {
    if (err) logger.error({ err: messageOf(err) }, 'wasmcloud: NATS connection closed with an error');
  });
  await nc.flush();
  logger.info({ topic: opts.policyTopic, changes: opts.changesTopic, invocation: opts.invocation }, 'wasmcloud: policy service subscribed');

  return {
    onPolicyChange: () => handler.recheck(),
    cachedRequests: () => handler.cache.size,
    async stop() {
      if (nc.isClosed()) return;
      await sub.drain();
      await loop;
      // In-flight answers settle within the deadline.
      await Promise.allSettled([...inFlight]);
      await nc.drain();
    },
  };
}
