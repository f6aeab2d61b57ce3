import type { EvaluationResult, LoadedBundle } from '../../src/policy/engine/types.ts';
import { EngineError } from '../../src/policy/engine/error.ts';

/**
 * A LoadedBundle over a plain data tree: `evaluate(path)` walks `data`, with
 * `echo` answering the input back and `boom` throwing an evaluation error.
 */
export function createFakeBundle(data: Record<string, unknown> = {}, revision = 'fake-rev'): LoadedBundle {
  const doc = { test: { echo: null, boom: null }, ...data };
  return {
    name: 'default',
    revision,
    manifest: { revision, roots: [''], wasm: [] },
    entrypoints: ['test/echo'],
    builtins: [],
    data: doc,
    digest: `sha256:${'f'.repeat(64)}`,
    evaluate(path: string, input: unknown): EvaluationResult {
      if (path === 'test/echo') return input === undefined ? { defined: false } : { defined: true, result: input };
      if (path === 'test/boom') throw new EngineError('EVAL_ERROR', 'evaluating test/boom failed: var assignment conflict', { details: { kind: 'eval_conflict_error', path } });
      let cur: unknown = doc;
      for (const seg of path.split('/').filter(Boolean)) {
        if (typeof cur !== 'object' || cur === null || !(seg in cur)) return { defined: false };
        cur = (cur as Record<string, unknown>)[seg];
      }
      return cur === undefined || cur === null ? { defined: false } : { defined: true, result: cur };
    },
  };
}
