/**
 * The evaluation worker (runs in a worker thread of the evaluation pool): rebuilds each bundle once from its spec
 * (the compiled module is shared, not recompiled) and answers a decision path on input already serialised as JSON.
 * Errors come back as values, with their stable code: a thrown error would lose it crossing the thread.
 */
import { evaluateDecision } from '../evaluate.ts';
import { WasmgateError, messageOf } from '../../common/error.ts';
import { bundleFromSpec, type BundleSpec, type WasmBundle } from '../engine/engine.ts';
import type { EvaluationResult } from '../engine/types.ts';

export interface EvaluationTask {
  /** identity of the bundle */
  key: string;
  /** sent when warming a worker up, or again when a worker answered `missing` (a replacement after a crash) */
  spec?: BundleSpec;
  path: string;
  /** the input document as JSON text or UTF-8 bytes */
  input: string | Uint8Array;
  /** evaluate the whole document at path, not only its verdict (see evaluateDecision) */
  document?: boolean;
  /** only instantiate the bundle (warming a worker up), evaluate nothing */
  warm?: boolean;
}

export type EvaluationReply =
  | { ok: true; result: EvaluationResult }
  /** this worker has not instantiated the bundle yet: send the task again with its spec */
  | { ok: false; missing: true }
  | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

/** Bundles this worker has instantiated, newest last; a few (bundle activations are rare, old ones finish). */
const bundles = new Map<string, WasmBundle>();
const MAX_BUNDLES = 4;

function bundleFor(task: EvaluationTask): WasmBundle | undefined {
  let b = bundles.get(task.key);
  if (b === undefined) {
    if (task.spec === undefined) return undefined;
    b = bundleFromSpec(task.spec);
    bundles.set(task.key, b);
    while (bundles.size > MAX_BUNDLES) bundles.delete(bundles.keys().next().value as string);
  }
  return b;
}

export function evaluateTask(task: EvaluationTask): EvaluationReply {
  try {
    const b = bundleFor(task);
    if (b === undefined) return { ok: false, missing: true };
    if (task.warm) return { ok: true, result: { defined: false } };
    const bound = {
      entrypoints: b.entrypoints,
      evaluate: (path: string) => b.evaluateJson(path, task.input),
      evaluateMany: (paths: readonly string[]) => b.evaluateManyJson(paths, task.input),
    };
    return { ok: true, result: evaluateDecision(bound, task.path, undefined, task.document === true) };
  } catch (err) {
    if (WasmgateError.isWasmgateError(err)) {
      return { ok: false, error: { code: err.code, message: err.message, ...(err.details ? { details: { ...err.details } } : {}) } };
    }
    return { ok: false, error: { code: 'EVAL_ERROR', message: messageOf(err) } };
  }
}

export default evaluateTask;
