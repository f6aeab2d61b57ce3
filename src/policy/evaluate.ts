import type { InputV1 } from '../contract/input-v1.ts';
import { serializeInputBytes } from '../assemble/serialize.ts';
import type { EvaluationResult, LoadedBundle } from './engine/types.ts';

/** What evaluateDecision needs of a bundle (a LoadedBundle, or a bundle bound to input already serialised). */
export type DecisionEvaluator = Pick<LoadedBundle, 'entrypoints' | 'evaluate' | 'evaluateMany'>;

/**
 * A decision package (`wasm/sbom`) is answered as `{allow, deny}`: both rules on
 * one parse of the input, rather than the whole package document (which would
 * also compute every helper rule), unless the caller asked for that document
 * (`document`: OPA's answer at the package path). Any other path is evaluated as asked.
 * Used on the event loop and in the evaluation worker alike.
 */
export function evaluateDecision(bundle: DecisionEvaluator, path: string, input: unknown, document = false): EvaluationResult {
  const allowPath = `${path}/allow`;
  const denyPath = `${path}/deny`;
  if (!document && bundle.evaluateMany && bundle.entrypoints.includes(allowPath) && bundle.entrypoints.includes(denyPath)) {
    const [allow, deny] = bundle.evaluateMany([allowPath, denyPath], input);
    if (!allow?.defined && !deny?.defined) return { defined: false };
    const result: Record<string, unknown> = {};
    if (allow?.defined) result.allow = allow.result;
    if (deny?.defined) result.deny = deny.result;
    return { defined: true, result };
  }
  return bundle.evaluate(path, input);
}

/** A bundle that also takes input already serialised (the engine's WasmBundle). */
interface JsonEvaluator extends DecisionEvaluator {
  evaluateJson(path: string, inputJson: string | Uint8Array): EvaluationResult;
  evaluateManyJson(paths: readonly string[], inputJson: string | Uint8Array): EvaluationResult[];
}

function takesJson(b: DecisionEvaluator): b is JsonEvaluator {
  const j = b as Partial<JsonEvaluator>;
  return typeof j.evaluateJson === 'function' && typeof j.evaluateManyJson === 'function';
}

/** evaluateDecision on an assembled input, serialised once with the evidence bytes cached (serializeInputBytes). */
export function evaluateInput(bundle: DecisionEvaluator, path: string, input: InputV1, document = false): EvaluationResult {
  if (!takesJson(bundle)) return evaluateDecision(bundle, path, input, document);
  const json = serializeInputBytes(input);
  return evaluateDecision({
    entrypoints: bundle.entrypoints,
    evaluate: (p) => bundle.evaluateJson(p, json),
    evaluateMany: (ps) => bundle.evaluateManyJson(ps, json),
  }, path, undefined, document);
}
