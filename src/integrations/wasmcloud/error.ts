import { WasmgateError } from '../../common/error.ts';

export type WasmcloudErrorCode =
  | 'WASMCLOUD_CONFIG_INVALID'
  | 'WASMCLOUD_CONNECT_FAILED'
  | 'WASMCLOUD_REQUEST_INVALID';

/** Errors of the wasmCloud policy-service adapter. */
export class WasmcloudError extends WasmgateError<WasmcloudErrorCode> {}
