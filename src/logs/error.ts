import { WasmgateError } from '../common/error.ts';

export type LogsErrorCode =
  | 'DECISION_LOG_UPLOAD_FAILED'
  | 'DECISION_LOG_CONFIG_INVALID'
  | 'REPLAY_EVENT_NOT_FOUND'
  | 'REPLAY_NOT_REPLAYABLE'
  | 'REPLAY_EVIDENCE_CHANGED';

export class LogsError extends WasmgateError<LogsErrorCode> {}
