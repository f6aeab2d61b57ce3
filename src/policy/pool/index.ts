export { createEvaluationPool, defaultPoolThreads } from './pool.ts';
export type { EvaluationPool, EvaluationPoolOptions, EvaluationPoolStats } from './pool.ts';
export { EvaluationPoolError } from './error.ts';
export type { EvaluationPoolErrorCode } from './error.ts';
