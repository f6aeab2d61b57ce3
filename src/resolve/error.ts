import { WasmgateError } from '../common/error.ts';

export type ResolveErrorCode = 'INVALID_REFERENCE';

/** A module reference that cannot be parsed. The message quotes the reference and says what form is expected. */
export class InvalidReferenceError extends WasmgateError<ResolveErrorCode> {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_REFERENCE', message, details === undefined ? {} : { details });
  }
}
