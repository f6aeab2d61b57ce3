import type { EvaluationResult } from '../policy/engine/types.ts';
import type { LogPolicy } from './policy-mask.ts';

/** What the log policy needs of the active bundle. */
export interface PolicyBundleProvider {
  active(): { readonly entrypoints: readonly string[]; evaluate(path: string, input: unknown): EvaluationResult } | null;
}

export const DEFAULT_MASK_DECISION = 'system/log/mask';
export const DEFAULT_DROP_DECISION = 'system/log/drop';

const trim = (p: string): string => p.replace(/^\/+|\/+$/g, '');

/**
 * OPA's mask_decision and drop_decision over the active (wasm) bundle: each path
 * is evaluated with the event as input when the bundle compiles it as an
 * entrypoint (`opa build -t wasm -e system/log/mask -e system/log/drop`). A
 * bundle without OPA's default paths masks and drops nothing, as in OPA; a path
 * the operator named that the active bundle does not compile throws, so the
 * event is dropped (and counted) rather than logged unmasked.
 */
export function createBundleLogPolicy(bundles: PolicyBundleProvider, maskDecision: string, dropDecision: string): LogPolicy {
  const mask = trim(maskDecision);
  const drop = trim(dropDecision);
  const evaluate = (path: string, isDefault: boolean, input: unknown): EvaluationResult => {
    const b = bundles.active();
    if (b === null || !b.entrypoints.includes(path)) {
      if (isDefault) return { defined: false };
      throw new Error(`the active bundle does not compile ${path} (decision_logs.${path === mask ? 'mask_decision' : 'drop_decision'}): build it with -e ${path}`);
    }
    return b.evaluate(path, input);
  };
  return {
    drop(event) {
      const r = evaluate(drop, drop === DEFAULT_DROP_DECISION, event);
      return r.defined && r.result === true;
    },
    mask(event) {
      const r = evaluate(mask, mask === DEFAULT_MASK_DECISION, event);
      return r.defined ? r.result : undefined;
    },
  };
}
