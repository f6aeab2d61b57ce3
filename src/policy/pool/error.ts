import { WasmgateError } from '../../common/error.ts';

export type EvaluationPoolErrorCode =
  /** more evaluations wait for a worker than decision.evaluation.max_queue */
  | 'EVALUATION_OVERLOADED'
  /** a worker died during an evaluation, or could not load the bundle */
  | 'EVALUATION_WORKER_CRASHED';

export class EvaluationPoolError extends WasmgateError<EvaluationPoolErrorCode> {}
