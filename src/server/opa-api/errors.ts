import { messageOf, WasmgateError } from '../../common/error.ts';
import { CallerError } from '../../decide/error.ts';
import { EngineError } from '../../policy/engine/error.ts';

/** OPA's API error codes (v1/server/types/types.go). */
export type ApiErrorCode =
  | 'internal_error'
  | 'evaluation_error'
  | 'unauthorized'
  | 'invalid_parameter'
  | 'invalid_operation'
  | 'resource_not_found'
  | 'resource_conflict'
  | 'undefined_document';

export interface ErrorDetailV1 {
  code: string;
  message: string;
  location?: { file: string; row: number; col: number };
}

export interface ErrorV1 {
  code: ApiErrorCode;
  message: string;
  errors?: ErrorDetailV1[];
  decision_id?: string;
}

/** An error that knows its HTTP answer. Thrown by request handling, turned into ErrorV1 in one place. */
export class ApiError extends WasmgateError<'API_ERROR'> {
  readonly status: number;
  readonly apiCode: ApiErrorCode;
  readonly errors: ErrorDetailV1[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(status: number, apiCode: ApiErrorCode, message: string, options: { errors?: ErrorDetailV1[]; cause?: unknown; headers?: Record<string, string> } = {}) {
    super('API_ERROR', message, options.cause === undefined ? {} : { cause: options.cause });
    this.status = status;
    this.apiCode = apiCode;
    this.errors = options.errors;
    this.headers = options.headers;
  }

  toErrorV1(): ErrorV1 {
    const e: ErrorV1 = { code: this.apiCode, message: this.message };
    if (this.errors) e.errors = this.errors;
    return e;
  }
}

export const badRequest = (message: string, cause?: unknown): ApiError => new ApiError(400, 'invalid_parameter', message, cause === undefined ? {} : { cause });

/** Maps engine errors (and anything else) to OPA's shapes: eval errors are 500 with the inner kind. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof EngineError && err.code === 'EVAL_ERROR') {
    const kind = typeof err.details?.kind === 'string' ? err.details.kind : 'eval_internal_error';
    return new ApiError(500, 'internal_error', 'error(s) occurred while evaluating query', { errors: [{ code: kind, message: err.message }], cause: err });
  }
  if (err instanceof CallerError) return new ApiError(400, 'invalid_parameter', err.message, { cause: err });
  // Express's router rejects a malformed request (e.g. bad percent-encoding in the path) with a 4xx `status`.
  const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(400, 'invalid_parameter', `the request could not be read: ${messageOf(err)}; check the path's percent-encoding`, { cause: err });
  }
  return new ApiError(500, 'internal_error', 'internal error: the request could not be answered; see the wasmgate log', { cause: err });
}
