/**
 * The transport-free core of the wasmCloud adapter: turns a policy request into
 * a response through the Decider, within the deadline, and re-decides answered
 * requests when the policy or vulnerability data changes.
 */
import type { Logger } from '../../common/logger.ts';
import { messageOf } from '../../common/error.ts';
import type { Decider, Decision, DecisionRequest } from '../../decide/types.ts';
import type { WasmcloudPolicyOptions } from './options.ts';
import { hostCacheKey, parsePolicyRequest, requestIdOf, type ComponentInfoV1, type PolicyRequestV1, type PolicyResponseV1 } from './protocol.ts';
import { RequestCache } from './request-cache.ts';

/** Publishes an override on the changes topic. */
export type PublishOverride = (response: PolicyResponseV1) => void;

export interface RecheckResult {
  rechecked: number;
  overridden: number;
}

export interface PolicyHandler {
  /** Answers one decoded payload; never throws (a bad request is a denial). */
  handle(payload: unknown): Promise<PolicyResponseV1>;
  /** Re-decides every cached request; publishes an override for each flipped answer. */
  recheck(): Promise<RecheckResult>;
  readonly cache: RequestCache;
}

const TIMED_OUT = Symbol('timed-out');

function summarise(d: Decision): string {
  if (d.allow) return `allowed by wasmgate (${d.digest ?? 'digest unknown'}, bundle ${d.revision ?? 'none'}, decision ${d.decision_id})`;
  const reasons = [...d.deny, ...d.errors.map((e) => `${e.code}: ${e.message}`)];
  return `denied by wasmgate: ${reasons.length > 0 ? reasons.join('; ') : 'policy did not allow'} (decision ${d.decision_id})`;
}

/** The component the decision is about, or null when config answers without deciding. */
function subjectOf(req: PolicyRequestV1, opts: WasmcloudPolicyOptions): ComponentInfoV1 | 'allow' | 'deny' {
  if (req.kind !== 'performInvocation') return req.request;
  if (opts.invocation === 'decide') return req.request.target;
  return opts.invocation;
}

export function createPolicyHandler(
  opts: WasmcloudPolicyOptions,
  decider: Decider,
  logger: Logger,
  publish: PublishOverride,
): PolicyHandler {
  const cache = new RequestCache(opts.maxCachedRequests);

  function toDecisionRequest(req: PolicyRequestV1, subject: ComponentInfoV1, deadlineMs: number): DecisionRequest {
    return {
      ref: subject.imageRef,
      path: opts.path,
      deadlineMs,
      log: { transport: 'wasmcloud' },
      request: {
        runtime: 'wasmcloud',
        labels: req.host.labels,
        wasmcloud: {
          kind: req.kind,
          lattice: req.host.lattice,
          host_public_key: req.host.publicKey,
          component_id: subject.componentId ?? null,
          provider_id: subject.providerId ?? null,
          annotations: subject.annotations ?? {},
          ...(req.kind === 'performInvocation' ? { interface: req.request.interface, function: req.request.function } : {}),
        },
      },
    };
  }

  async function decide(req: PolicyRequestV1, subject: ComponentInfoV1, deadlineMs: number, signal: AbortSignal): Promise<{ permitted: boolean; message: string }> {
    try {
      const d = await decider.decide(toDecisionRequest(req, subject, deadlineMs), signal);
      return { permitted: d.allow, message: summarise(d) };
    } catch (err) {
      return { permitted: false, message: `denied by wasmgate: could not decide (${messageOf(err)})` };
    }
  }

  function override(key: string, requestId: string, permitted: boolean, message: string): boolean {
    const entry = cache.get(key);
    if (!entry || entry.request.requestId !== requestId || entry.permitted === permitted) return false;
    entry.permitted = permitted;
    if (opts.changesTopic === null) return false;
    publish({ requestId, permitted, message });
    logger.info({ requestId, permitted, kind: entry.request.kind }, 'wasmcloud: published policy override');
    return true;
  }

  async function handle(payload: unknown): Promise<PolicyResponseV1> {
    let req: PolicyRequestV1;
    try {
      req = parsePolicyRequest(payload);
    } catch (err) {
      logger.warn({ err: messageOf(err) }, 'wasmcloud: invalid policy request denied');
      return { requestId: requestIdOf(payload), permitted: false, message: `denied by wasmgate: ${messageOf(err)}` };
    }
    const subject = subjectOf(req, opts);
    if (subject === 'allow' || subject === 'deny') {
      return { requestId: req.requestId, permitted: subject === 'allow', message: `performInvocation ${subject === 'allow' ? 'allowed' : 'denied'} by wasmgate configuration (integrations.wasmcloud.invocation)` };
    }
    const key = hostCacheKey(req);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), opts.deadlineMs);
    });
    // The host gets an answer at the deadline; the decider keeps its longer budget and
    // its late answer becomes an override (a cold cache warms instead of failing forever).
    const pending = decide(req, subject, opts.recheckDeadlineMs, AbortSignal.timeout(opts.recheckDeadlineMs));
    const first = await Promise.race([pending, deadline]);
    clearTimeout(timer);
    if (first === TIMED_OUT) {
      const message = `denied by wasmgate: no decision within ${opts.deadlineMs} ms (fail closed; an override follows if the decision completes)`;
      cache.set(key, { request: req, permitted: false });
      void pending.then((late) => {
        if (override(key, req.requestId, late.permitted, late.message)) logger.info({ requestId: req.requestId }, 'wasmcloud: late decision overrode a deadline denial');
      });
      logger.warn({ requestId: req.requestId, imageRef: subject.imageRef }, 'wasmcloud: decision deadline passed, denied');
      return { requestId: req.requestId, permitted: false, message };
    }
    cache.set(key, { request: req, permitted: first.permitted });
    return { requestId: req.requestId, permitted: first.permitted, message: first.message };
  }

  async function recheck(): Promise<RecheckResult> {
    const snapshot = cache.entries();
    let overridden = 0;
    let next = 0;
    // A few re-decisions at a time: the decider shares the machine with live requests.
    const worker = async (): Promise<void> => {
      while (next < snapshot.length) {
        const item = snapshot[next++];
        if (!item) break;
        const [key, entry] = item;
        const subject = subjectOf(entry.request, opts);
        if (subject === 'allow' || subject === 'deny') continue;
        const r = await decide(entry.request, subject, opts.recheckDeadlineMs, AbortSignal.timeout(opts.recheckDeadlineMs));
        if (override(key, entry.request.requestId, r.permitted, r.message)) overridden++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, snapshot.length) }, worker));
    return { rechecked: snapshot.length, overridden };
  }

  return { handle, recheck, cache };
}
