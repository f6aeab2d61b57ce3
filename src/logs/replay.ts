import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import type { Decider } from '../decide/types.ts';
import type { EvaluationResult } from '../policy/engine/types.ts';
import { predicateDigest } from './decision-logger.ts';
import type { DecisionEventV1 } from './event.ts';
import { LogsError } from './error.ts';

const PREDICATE_POINTER = /^\/input\/(signatures|sbom_attestations|provenance_attestations|other_attestations)\/(\d+)\/predicate$/;

/** What replay needs of the active bundle. */
export interface ReplayBundle {
  readonly name: string;
  readonly revision: string;
  readonly entrypoints: readonly string[];
  evaluate(path: string, input: unknown): EvaluationResult;
}

export interface ReplayOutcome {
  decision_id: string;
  path: string;
  /** the input as logged, with every erased predicate re-fetched and checked against its logged sha256 */
  input: Record<string, unknown>;
  /** pointers restored from the registry */
  restored: string[];
  logged: { defined: boolean; result?: unknown };
  replayed: { defined: boolean; result?: unknown };
  same: boolean;
  /** the bundle revision the event names, when it differs from the active one */
  revision_differs?: { logged: string; active: string };
}

/**
 * Reads an event: a file holding one event (upload or file-sink JSON, or a console
 * line), or a decision_id looked up in a JSON-lines log (the file sink or console output).
 */
export async function findEvent(arg: string, logFile: string | null): Promise<DecisionEventV1> {
  let text: string | undefined;
  try {
    text = await readFile(arg, 'utf8');
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    const doc = JSON.parse(text) as unknown;
    const events = Array.isArray(doc) ? doc : [doc];
    if (events.length !== 1 || !isEvent(events[0])) throw new LogsError('REPLAY_EVENT_NOT_FOUND', `${arg} must hold one decision log event (an object with decision_id), found ${events.length}`);
    return events[0];
  }
  if (logFile === null) throw new LogsError('REPLAY_EVENT_NOT_FOUND', `${arg} is no file, and there is no log to look the decision_id up in: pass --log <decisions.jsonl> or set decision_logs.file`);
  const log = await readFile(logFile, 'utf8');
  for (const line of log.split('\n')) {
    if (!line.includes(arg)) continue;
    try {
      const e = JSON.parse(line) as unknown;
      if (isEvent(e) && e.decision_id === arg) return e;
    } catch {
      // not a JSON line (e.g. another log line on the console)
    }
  }
  throw new LogsError('REPLAY_EVENT_NOT_FOUND', `no decision ${arg} in ${logFile}`);
}

function isEvent(e: unknown): e is DecisionEventV1 {
  return typeof e === 'object' && e !== null && typeof (e as { decision_id?: unknown }).decision_id === 'string';
}

/**
 * Restores the predicates a logged input lacks (erased by `erase` or by
 * `max_predicate_bytes`): the module is decided again by digest, each erased
 * predicate is taken from the same attestation manifest and must hash to the
 * sha256 the event logged. Any other erased or masked value makes the input not
 * replayable.
 */
export async function restoreInput(event: DecisionEventV1, decider: Decider): Promise<{ input: Record<string, unknown>; restored: string[] }> {
  if (typeof event.input !== 'object' || event.input === null) throw new LogsError('REPLAY_NOT_REPLAYABLE', `decision ${event.decision_id} logged no input`);
  const input = structuredClone(event.input) as Record<string, unknown>;
  if (event.masked?.length) throw new LogsError('REPLAY_NOT_REPLAYABLE', `decision ${event.decision_id} has masked values (${event.masked.join(', ')}): the logged input is not the one decided on`);
  const erased = event.erased ?? [];
  const other = erased.filter((p) => !PREDICATE_POINTER.test(p));
  if (other.length > 0) throw new LogsError('REPLAY_NOT_REPLAYABLE', `decision ${event.decision_id} has erased values that cannot be re-fetched (${other.join(', ')}): only evidence predicates can`);
  if (erased.length === 0) return { input, restored: [] };
  const digests = ((event.custom?.wasmgate as { erased_predicates?: Record<string, string> } | undefined)?.erased_predicates) ?? {};
  const module = input.module as { repository?: string; digest?: string } | undefined;
  if (!module?.repository || !module.digest) throw new LogsError('REPLAY_NOT_REPLAYABLE', `decision ${event.decision_id} logged no module.repository and module.digest to re-fetch evidence from`);
  const fresh = await decider.decide({ ref: `${module.repository}@${module.digest}`, request: { runtime: 'wasmgate-replay' } });
  if (fresh.input === null) throw new LogsError('REPLAY_EVIDENCE_CHANGED', `the evidence of ${module.repository}@${module.digest} cannot be collected again: ${fresh.errors.map((e) => `${e.code}: ${e.message}`).join('; ')}`);
  const freshInput = fresh.input as unknown as Record<string, Array<{ manifest_digest?: string; predicate_type?: string; predicate?: unknown }>>;
  for (const ptr of erased) {
    const [, list, index] = PREDICATE_POINTER.exec(ptr)!;
    const item = (input[list!] as Array<Record<string, unknown>>)[Number(index)]!;
    const match = (freshInput[list!] ?? []).find((f) => f.manifest_digest === item.manifest_digest && f.predicate_type === item.predicate_type && f.predicate !== undefined);
    if (!match) throw new LogsError('REPLAY_EVIDENCE_CHANGED', `${ptr}: attestation ${String(item.manifest_digest)} is no longer attached to ${module.repository}@${module.digest}`);
    const want = digests[ptr];
    const got = predicateDigest(match.predicate);
    if (want !== undefined && want !== got) throw new LogsError('REPLAY_EVIDENCE_CHANGED', `${ptr}: the re-fetched predicate hashes to ${got}, the event logged ${want}`);
    item.predicate = match.predicate;
  }
  return { input, restored: [...erased] };
}

/**
 * Evaluates the (restored) input as wasmgate answered the logged path: a decision
 * path P gives `{allow, deny, digest}` (allow only without input.errors), P/allow
 * and P/deny their parts, any other path the policy's value.
 */
export function replayAnswer(bundle: ReplayBundle, path: string, input: Record<string, unknown>, decisionPaths: readonly string[]): { defined: boolean; result?: unknown } {
  const errors = Array.isArray(input.errors) ? input.errors.length : 0;
  const verdict = (base: string): { allow: boolean; deny: string[] } => {
    const a = bundle.evaluate(`${base}/allow`, input);
    const d = bundle.evaluate(`${base}/deny`, input);
    const deny = d.defined && Array.isArray(d.result) ? d.result.map(String).sort() : [];
    return { allow: a.defined && a.result === true && deny.length === 0 && errors === 0, deny };
  };
  for (const p of decisionPaths) {
    if (path === p) {
      const v = verdict(p);
      return { defined: true, result: { ...v, digest: (input.module as { digest?: string } | undefined)?.digest ?? null } };
    }
    if (path === `${p}/allow`) return { defined: true, result: verdict(p).allow };
    if (path === `${p}/deny`) return { defined: true, result: verdict(p).deny };
  }
  const r = bundle.evaluate(path, input);
  return r.defined ? { defined: true, result: r.result } : { defined: false };
}

/** Replays a logged event on the active bundle and says whether the answer is the same. */
export async function replayEvent(event: DecisionEventV1, decider: Decider, bundle: ReplayBundle, decisionPaths: readonly string[]): Promise<ReplayOutcome> {
  const { input, restored } = await restoreInput(event, decider);
  const path = event.path ?? '';
  const replayed = replayAnswer(bundle, path, input, decisionPaths);
  const logged = 'result' in event ? { defined: true, result: event.result } : { defined: false };
  const out: ReplayOutcome = { decision_id: event.decision_id, path, input, restored, logged, replayed, same: isDeepStrictEqual(logged, replayed) };
  const rev = event.bundles?.[bundle.name]?.revision ?? Object.values(event.bundles ?? {})[0]?.revision;
  if (rev !== undefined && rev !== bundle.revision) out.revision_differs = { logged: rev, active: bundle.revision };
  return out;
}
