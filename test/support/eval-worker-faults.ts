/**
 * An evaluation worker for tests: the real one, except that an input naming `crash-the-worker` ends the worker
 * thread mid-evaluation (as a fatal error in the engine would) and one naming `slow-evaluation` holds the worker
 * for 5 s (to fill the queue).
 */
import { evaluateTask, type EvaluationReply, type EvaluationTask } from '../../src/policy/pool/worker.ts';

export default function faultyEvaluate(task: EvaluationTask): EvaluationReply {
  const text = typeof task.input === 'string' ? task.input : Buffer.from(task.input).toString('utf8');
  if (text.includes('crash-the-worker')) process.exit(70);
  if (text.includes('slow-evaluation')) {
    const until = Date.now() + 5000;
    while (Date.now() < until) { /* hold the worker */ }
  }
  return evaluateTask(task);
}
