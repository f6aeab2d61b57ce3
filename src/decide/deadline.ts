import { randomUUID } from 'node:crypto';
import type { Logger } from '../common/logger.ts';
import { CallerError } from './error.ts';
import { classifyError, type DenyReason } from './reasons.ts';
import type { Decider, Decision, DecisionRequest } from './types.ts';
import { tryParseReference } from '../resolve/reference.ts';

export interface DeadlineOptions {
  /** default budget when the request names none (config decision.deadline_ms) */
  deadlineMs: number;
  logger?: Logger;
}

const TIMEOUT = Symbol('timeout');

/**
 * Fail closed with a deadline: a Decider decorator that answers a deny with a
 * reason when the inner Decider throws or overruns its budget — never an allow.
 * Overrun work keeps running in the background (it warms the cache).
 * Caller mistakes (bad ref, host not allowed) are rethrown as CallerError for a 4xx.
 */
export function withDeadline(inner: Decider, options: DeadlineOptions): Decider {
  return {
    async decide(req: DecisionRequest, signal?: AbortSignal): Promise<Decision> {
      const budget = req.deadlineMs ?? options.deadlineMs;
      const started = process.hrtime.bigint();
      let timer: NodeJS.Timeout | undefined;
      const work = Promise.resolve().then(() => inner.decide(req, signal));
      const timeout = new Promise<typeof TIMEOUT>((resolve) => {
        timer = setTimeout(resolve, budget, TIMEOUT);
      });
      try {
        const outcome = await Promise.race([work, timeout]);
        if (outcome === TIMEOUT) {
          work.catch((err: unknown) => options.logger?.debug({ err: String(err), ref: req.ref }, 'decision finished with an error after its deadline'));
          return failClosed(req, 'timeout', `no decision within the ${budget} ms deadline`, started);
        }
        return enforceFailClosed(outcome);
      } catch (err) {
        const c = classifyError(err);
        if (c.kind === 'caller') throw err instanceof CallerError ? err : new CallerError(c.reason, c.message, { cause: err });
        if (c.reason === 'internal_error') options.logger?.error({ err, ref: req.ref }, 'decision failed with an internal error');
        return failClosed(req, c.reason, c.message, started);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A Decision that reports errors is a deny, whatever the policy said. */
function enforceFailClosed(d: Decision): Decision {
  if (d.errors.length === 0 || !d.allow) return d;
  const deny = [...new Set([...d.deny, ...d.errors.map((e) => `${e.code}: ${e.message}`)])].sort();
  return { ...d, allow: false, deny };
}

export function failClosed(req: DecisionRequest, reason: DenyReason, message: string, started?: bigint): Decision {
  const deny = [`${reason}: ${message}`];
  return {
    allow: false,
    deny,
    digest: tryParseReference(req.ref)?.digest ?? null,
    decision_id: randomUUID(),
    revision: null,
    errors: [{ code: reason, message }],
    result: { allow: false, deny },
    input: null,
    metrics: started === undefined ? {} : { timer_wasmgate_decide_ns: Number(process.hrtime.bigint() - started) },
    cached: false,
  };
}
