import { WasmgateError } from '../common/error.ts';

/** Why a request to a configured service (`services.<name>`) failed. Messages never carry credentials. */
export type ServiceErrorCode =
  /** `credentials.bearer` is unusable (neither token nor token_path, or an unreadable CA file) */
  | 'SERVICE_CONFIG_INVALID'
  /** `credentials.bearer.token_path` cannot be read */
  | 'SERVICE_TOKEN_UNREADABLE'
  /** no response headers (or body) within the service's timeout */
  | 'SERVICE_TIMEOUT'
  /** the request failed before a response: connection refused or reset, TLS, DNS, aborted */
  | 'SERVICE_REQUEST_FAILED';

export class ServiceError extends WasmgateError<ServiceErrorCode> {}
