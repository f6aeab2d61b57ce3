import { WasmgateError } from '../common/error.ts';

export type LogsErrorCode =
  | 'REPLAY_EVENT_NOT_FOUND'
  | 'REPLAY_NOT_REPLAYABLE'
  | 'REPLAY_EVIDENCE_CHANGED';

export class LogsError extends WasmgateError<LogsErrorCode> {}
