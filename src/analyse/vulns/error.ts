import { WasmgateError } from '../../common/error.ts';

export type VulnErrorCode =
  | 'VULN_DB_LOAD_ERROR'
  | 'VULN_DB_EMPTY'
  | 'VULN_DB_REFRESH_ERROR'
  | 'VULN_REPORT_INVALID';

/** Errors of the vulnerability database, matcher and scanner-report ingestion. */
export class VulnError extends WasmgateError<VulnErrorCode> {}
