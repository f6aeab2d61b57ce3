import { WasmgateError } from '../common/error.ts';
import type { CallerErrorKind } from './reasons.ts';

export type DecideErrorCode = 'DEADLINE_EXCEEDED' | 'CALLER_ERROR';

/** A request the service cannot decide because the caller asked wrongly (bad ref, host not allowed): a 4xx. */
export class CallerError extends WasmgateError<'CALLER_ERROR'> {
  readonly reason: CallerErrorKind;
  constructor(reason: CallerErrorKind, message: string, options: { cause?: unknown } = {}) {
    super('CALLER_ERROR', message, options);
    this.reason = reason;
  }
}
