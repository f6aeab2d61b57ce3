export { createEvaluationPool, defaultPoolThreads, EvaluationPoolError } from './pool.ts';
export type { EvaluationPool, EvaluationPoolErrorCode, EvaluationPoolOptions, EvaluationPoolStats } from './pool.ts';
