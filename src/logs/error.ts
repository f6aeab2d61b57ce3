import { WasmgateError } from '../common/error.ts';

export type LogsErrorCode = 'DECISION_LOG_UPLOAD_FAILED' | 'DECISION_LOG_CONFIG_INVALID';

export class LogsError extends WasmgateError<LogsErrorCode> {}
