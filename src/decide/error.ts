import { WasmgateError } from '../common/error.ts';

export type DecideErrorCode =
  /** no active policy bundle answers the decision path, or the active one does not define it */
  | 'NO_TRUSTED_POLICY'
  /** decision.admission's queue is full: shed at once */
  | 'DECISION_OVERLOADED'
  /** the decision waited in decision.admission's queue past its deadline */
  | 'DECISION_TIMEOUT';

/** Why the decision pipeline could not decide (mapped to a fail-closed deny reason by reasons.ts). */
export class DecideError extends WasmgateError<DecideErrorCode> {}

/** Errors that are the caller's mistake: the server answers 4xx instead of a decision. */
export type CallerErrorKind = 'invalid_ref' | 'host_not_allowed';

export type CallerErrorCode = 'CALLER_ERROR';

/** A request the service cannot decide because the caller asked wrongly (bad ref, host not allowed): a 4xx. */
export class CallerError extends WasmgateError<CallerErrorCode> {
  readonly reason: CallerErrorKind;
  constructor(reason: CallerErrorKind, message: string, options: { cause?: unknown } = {}) {
    super('CALLER_ERROR', message, options);
    this.reason = reason;
  }
}
