import { DecideError } from './error.ts';
import type { Decider, Decision, DecisionRequest } from './types.ts';

export interface AdmissionOptions {
  /** decisions computed at once (config decision.admission.max_concurrent) */
  maxConcurrent: number;
  /** decisions waiting for a slot (config decision.admission.max_queued); beyond it a decision is shed at once */
  maxQueued: number;
  /** default budget of a decision (config decision.deadline_ms): one that waited longer is not started */
  deadlineMs: number;
  /** called for each shed decision: `queue_full` (refused at once) or `expired` (waited past its deadline) */
  onShed?: (why: 'queue_full' | 'expired') => void;
  now?: () => number;
}

export interface AdmissionStats {
  running: number;
  queued: number;
  shed: number;
}

export interface AdmittedDecider extends Decider {
  stats(): AdmissionStats;
}

interface Waiter {
  enqueued: number;
  budget: number;
  start: () => void;
  expire: () => void;
}

/**
 * Bounds the work behind it: at most `maxConcurrent` decisions run, at most `maxQueued` wait (first in, first
 * out), and anything beyond is refused at once with DECISION_OVERLOADED — the deadline decorator turns that into a
 * deny with reason `overloaded`, so a flood of distinct refs costs a queue slot or nothing, never unbounded memory
 * or every caller's deadline. A waiter whose deadline passed in the queue is dropped without running. Put it
 * inside the decision cache: cache hits and shared in-flight computations never take a slot.
 */
export function withAdmission(inner: Decider, options: AdmissionOptions): AdmittedDecider {
  const now = options.now ?? Date.now;
  const queue: Waiter[] = [];
  let running = 0;
  let shed = 0;

  const release = (): void => {
    running--;
    while (queue.length > 0 && running < options.maxConcurrent) {
      const w = queue.shift()!;
      if (now() - w.enqueued >= w.budget) {
        w.expire();
        continue;
      }
      running++;
      w.start();
    }
  };

  const run = async (req: DecisionRequest, signal?: AbortSignal): Promise<Decision> => {
    try {
      return await inner.decide(req, signal);
    } finally {
      release();
    }
  };

  return {
    decide(req, signal) {
      if (running < options.maxConcurrent) {
        running++;
        return run(req, signal);
      }
      if (queue.length >= options.maxQueued) {
        shed++;
        options.onShed?.('queue_full');
        return Promise.reject(new DecideError(
          'DECISION_OVERLOADED',
          `wasmgate is computing ${running} decisions and ${queue.length} more are waiting (decision.admission: max_concurrent ${options.maxConcurrent}, max_queued ${options.maxQueued}); this one was not started: ask again shortly`,
        ));
      }
      const budget = req.deadlineMs ?? options.deadlineMs;
      return new Promise<Decision>((resolve, reject) => {
        queue.push({
          enqueued: now(),
          budget,
          start: () => run(req, signal).then(resolve, reject),
          expire: () => {
            shed++;
            options.onShed?.('expired');
            reject(new DecideError('DECISION_TIMEOUT', `the decision waited ${budget} ms for a free slot (decision.admission.max_concurrent ${options.maxConcurrent}) and was not started`));
          },
        });
      });
    },
    stats: () => ({ running, queued: queue.length, shed }),
  };
}
