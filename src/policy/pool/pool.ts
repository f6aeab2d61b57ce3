import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { InputV1 } from '../../contract/input-v1.ts';
import { serializeInputBytes } from '../../assemble/serialize.ts';
import { createSilentLogger, type Logger } from '../../common/logger.ts';
import { evaluateInput } from '../evaluate.ts';
import { bundleSpec, type BundleSpec } from '../engine/engine.ts';
import { EngineError, type EngineErrorCode } from '../engine/error.ts';
import type { EvaluationResult, LoadedBundle } from '../engine/types.ts';
import type { EvaluationReply, EvaluationTask } from './worker.ts';
import { EvaluationPoolError } from './error.ts';

export interface EvaluationPoolOptions {
  /** worker threads; default the cores less one for the event loop, at least 1 */
  threads?: number;
  /** evaluations waiting for a worker at most; one more fails closed (EVALUATION_OVERLOADED); default 256 */
  maxQueue?: number;
  /** the worker module (tests substitute one); default ./worker.ts */
  workerUrl?: URL;
  /**
   * how much lower the workers' scheduling priority is than the event loop's (nice, 0–19); default 0. A higher value
   * lets cached answers go first when cores are short, but also puts evaluations behind every other process on the
   * host (uncached decisions may then overrun their deadline and fail closed).
   */
  niceIncrement?: number;
  /** counted in metrics: a rejection over the queue bound, a worker that died under an evaluation */
  onEvent?: (event: 'queue_full' | 'worker_crashed') => void;
  logger?: Logger;
}

export interface EvaluationPoolStats {
  threads: number;
  queued: number;
  completed: number;
  rejected: number;
  crashed: number;
}

/** Policy evaluation on worker threads, so that a long evaluation does not hold up cached answers. */
export interface EvaluationPool {
  /**
   * evaluateDecision on a worker; a bundle that cannot move to a worker (host builtins), or one the workers have not
   * instantiated yet (the first uncached decisions after start or an activation, which start that), is evaluated here
   */
  evaluate(bundle: LoadedBundle, path: string, input: InputV1, document?: boolean): Promise<EvaluationResult>;
  /** starts the workers and instantiates a bundle on each (done after its first evaluation anyway); resolves when they have it */
  prepare(bundle: LoadedBundle): Promise<void>;
  stats(): EvaluationPoolStats;
  close(): Promise<void>;
}

/** The worker module beside this one: worker.ts run from the sources, worker.js in the compiled build (dist/). */
const WORKER_URL = new URL(`./worker${import.meta.url.endsWith('.js') ? '.js' : '.ts'}`, import.meta.url);

/** The default size: the cores less one (the event loop keeps one), at least one. */
export function defaultPoolThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * A fixed pool of evaluation workers (piscina): every worker holds its own instance of each bundle it evaluated,
 * built from the bundle's compiled module and data (shared memory, no recompilation). The queue is bounded; over
 * it an evaluation fails at once with EVALUATION_OVERLOADED (the decision is a deny saying so). A worker that
 * dies fails the evaluation it ran with EVALUATION_WORKER_CRASHED, and piscina starts a replacement.
 */
export function createEvaluationPool(options: EvaluationPoolOptions = {}): EvaluationPool {
  const threads = Math.max(1, options.threads ?? defaultPoolThreads());
  const maxQueue = Math.max(1, options.maxQueue ?? 256);
  const log = options.logger ?? createSilentLogger();
  const pool = new Piscina<EvaluationTask, EvaluationReply>({
    filename: (options.workerUrl ?? WORKER_URL).href,
    // no thread starts before the first uncached evaluation: a cold start does not compete with workers booting
    minThreads: 0,
    maxThreads: threads,
    maxQueue,
    // workers stay (the largest timer Node accepts: a larger one fires after 1 ms and would end idle workers at once)
    idleTimeout: 2 ** 31 - 1,
    // optionally a lower scheduling priority than the event loop (Linux: per-thread nice, via @napi-rs/nice)
    niceIncrement: options.niceIncrement ?? 0,
  });
  // a worker that dies between tasks is replaced; piscina reports it as an 'error' event
  pool.on('error', (err: unknown) => {
    log.warn({ err }, 'an evaluation worker exited between evaluations; it is replaced');
  });
  const counts = { completed: 0, rejected: 0, crashed: 0 };
  type Prepared = { key: string; spec: BundleSpec; ready: boolean; warmed: Promise<void> | undefined };
  const specs = new WeakMap<LoadedBundle, Prepared | null>();
  let nextId = 0;

  const specOf = (bundle: LoadedBundle): Prepared | null => {
    let s = specs.get(bundle);
    if (s === undefined) {
      const spec = bundleSpec(bundle);
      if (spec === null) {
        s = null;
      } else {
        // the data in shared memory: every task carries the spec without copying it
        const shared = new Uint8Array(new SharedArrayBuffer(spec.dataJson.byteLength));
        shared.set(spec.dataJson);
        s = { key: `${spec.digest}#${nextId++}`, spec: { ...spec, dataJson: shared }, ready: false, warmed: undefined };
      }
      specs.set(bundle, s);
    }
    return s;
  };

  /** The input as bytes moved (not copied) to the worker; the spec only when the worker lacks the bundle. */
  const runTask = (key: string, path: string, input: InputV1, document: boolean, spec?: BundleSpec): Promise<EvaluationReply> => {
    const bytes = serializeInputBytes(input);
    return pool.run({ key, path, input: bytes, document, ...(spec ? { spec } : {}) }, { transferList: [bytes.buffer as ArrayBuffer] });
  };

  /** Instantiates a bundle on every worker (starting them); until that is done its evaluations run here. */
  const warm = (p: Prepared): Promise<void> => {
    if (p.warmed === undefined) {
      const tasks = Array.from({ length: threads }, () => pool.run({ key: p.key, spec: p.spec, path: '', input: 'null', warm: true }));
      p.warmed = Promise.allSettled(tasks).then(() => {
        p.ready = true;
      });
    }
    return p.warmed;
  };

  return {
    async evaluate(bundle, path, input, document = false) {
      const s = specOf(bundle);
      if (s === null) return evaluateInput(bundle, path, input, document);
      if (!s.ready) {
        // answered here; the workers start (or load this bundle) once this answer is out
        const result = evaluateInput(bundle, path, input, document);
        setImmediate(() => void warm(s));
        return result;
      }
      if (pool.queueSize >= maxQueue) {
        counts.rejected++;
        options.onEvent?.('queue_full');
        throw overloaded(maxQueue);
      }
      let reply: EvaluationReply;
      try {
        reply = await runTask(s.key, path, input, document);
        // a worker started after the warm-up (a replacement) gets the bundle with the task
        if (!reply.ok && 'missing' in reply) reply = await runTask(s.key, path, input, document, s.spec);
      } catch (err) {
        if (err instanceof Error && /queue is at limit/i.test(err.message)) {
          counts.rejected++;
          options.onEvent?.('queue_full');
          throw overloaded(maxQueue);
        }
        counts.crashed++;
        options.onEvent?.('worker_crashed');
        log.error({ err }, 'an evaluation worker died during an evaluation; the decision fails closed');
        throw new EvaluationPoolError('EVALUATION_WORKER_CRASHED', `the policy evaluation worker died while evaluating ${path} (${err instanceof Error ? err.message : String(err)}); the decision is denied and the worker replaced`, { cause: err });
      }
      counts.completed++;
      if (!reply.ok && 'missing' in reply) throw new EvaluationPoolError('EVALUATION_WORKER_CRASHED', `an evaluation worker could not load bundle ${bundle.name}; the decision is denied`);
      if (!reply.ok) throw new EngineError(reply.error.code as EngineErrorCode, reply.error.message, reply.error.details ? { details: reply.error.details } : {});
      return reply.result;
    },
    async prepare(bundle) {
      const s = specOf(bundle);
      if (s !== null) await warm(s);
    },
    stats: () => ({ threads: pool.threads.length, queued: pool.queueSize, ...counts }),
    close: () => pool.destroy(),
  };
}

function overloaded(maxQueue: number): EvaluationPoolError {
  return new EvaluationPoolError('EVALUATION_OVERLOADED', `${maxQueue} policy evaluations are already waiting for a worker; this decision is denied rather than queued (raise decision.evaluation.max_queue or add cores)`, { details: { maxQueue } });
}
