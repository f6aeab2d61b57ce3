import { WasmgateError } from '../../common/error.ts';

export type ListenErrorCode = 'LISTEN_FAILED' | 'SOCKET_PATH_OCCUPIED' | 'SOCKET_IN_USE' | 'LISTEN_ADDRESS_INVALID';

export class ListenError extends WasmgateError<ListenErrorCode> {}
