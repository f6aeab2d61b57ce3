import type { DecisionLogRecord } from './event.ts';
import type { Decider, Decision, DecisionRequest } from '../decide/types.ts';

export type { DecisionLogContext } from '../decide/types.ts';

/** Where decisions are logged: the decision logger's `log` (never blocks, never throws). */
export interface DecisionLogTarget {
  readonly enabled: boolean;
  log(record: DecisionLogRecord): void;
}


/** The verdict wasmgate answers outside the Data API (Gatekeeper, wasmCloud, the CLI). */
export function verdictOf(d: Decision): { allow: boolean; deny: string[]; digest: string | null } {
  return { allow: d.allow && d.errors.length === 0, deny: d.deny, digest: d.digest };
}

/**
 * Decision logging as a property of the decider: every decision through this
 * decorator, whatever the transport (OPA Data API, Gatekeeper, wasmCloud, CLI),
 * produces exactly one event — fail-closed answers included. It sits outside the
 * deadline decorator, so it logs what the caller was answered. A request the
 * caller got wrong (CallerError, a 4xx) is no decision and is not logged.
 */
export function withDecisionLog(inner: Decider, target: DecisionLogTarget, bundleName: () => string | undefined, defaultPath = 'wasm/sbom'): Decider {
  return {
    async decide(req: DecisionRequest, signal?: AbortSignal): Promise<Decision> {
      const d = await inner.decide(req, signal);
      if (target.enabled) target.log(toRecord(req, d, bundleName(), defaultPath));
      return d;
    },
  };
}

function toRecord(req: DecisionRequest, d: Decision, bundle: string | undefined, defaultPath: string): DecisionLogRecord {
  const ctx = req.log;
  const metrics: Record<string, number> = { ...ctx?.metrics, ...d.metrics };
  if (d.cached) metrics.counter_server_query_cache_hit = 1;
  else metrics.counter_server_query_cache_hit ??= 0;
  if (ctx?.started !== undefined) metrics.timer_server_handler_ns = Number(process.hrtime.bigint() - ctx.started);
  const rec: DecisionLogRecord = {
    decision_id: d.decision_id,
    path: ctx?.path ?? req.path ?? defaultPath,
    time: Date.now(),
    metrics,
    wasmgate: { transport: ctx?.transport ?? 'cli', cached: d.cached, digest: d.digest },
  };
  const input = d.input ?? ctx?.callerInput;
  if (input !== undefined) rec.input = input;
  const answer = ctx?.answer ? ctx.answer(d) : verdictOf(d);
  if (answer !== undefined) rec.result = answer;
  if (d.revision !== null) rec.bundles = { [bundle ?? 'default']: { revision: d.revision } };
  if (d.errors.length > 0) rec.error = { code: d.errors[0]!.code, message: d.errors.map((e) => e.message).join('; ') };
  if (ctx?.requested_by !== undefined) rec.requested_by = ctx.requested_by;
  if (ctx?.req_id !== undefined) rec.req_id = ctx.req_id;
  if (ctx?.headers !== undefined) rec.headers = ctx.headers;
  return rec;
}
