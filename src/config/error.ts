import { WasmgateError } from '../common/error.ts';

export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_UNREADABLE' | 'CONFIG_PARSE_ERROR';

/** A bad configuration: `details.problems` lists each `{key, value, problem, fix}`. */
export class ConfigError extends WasmgateError<ConfigErrorCode> {}

export interface ConfigProblem {
  /** dotted key, e.g. `decision.deadline_ms` */
  key: string;
  value: unknown;
  problem: string;
  fix: string;
}
