/**
 * OPA's decision log event, version 1 (v1/plugins/logs/plugin.go EventV1), as
 * OPA 1.22 uploads it: `error` is `{code, message, …}` (the console line renders it
 * as a string), the root path is omitted, `nd_builtin_cache` is present only when
 * enabled, `req_id` numbers the HTTP requests of this process.
 */
export interface DecisionEventV1 {
  labels: Record<string, string>;
  decision_id: string;
  bundles?: Record<string, { revision: string }>;
  /** the data path asked, without leading slash; omitted for the root document */
  path?: string;
  input?: unknown;
  result?: unknown;
  nd_builtin_cache?: Record<string, unknown>;
  erased?: string[];
  masked?: string[];
  error?: DecisionErrorV1;
  requested_by?: string;
  /** RFC 3339 (UTC) */
  timestamp: string;
  metrics?: Record<string, number>;
  req_id?: number;
  request_context?: { http?: { headers?: Record<string, string[]> } };
  /** wasmgate's additions (OPA's place for data outside its schema): `custom.wasmgate` */
  custom?: Record<string, unknown>;
}

/** OPA's topdown/server error as the uploader marshals it. */
export interface DecisionErrorV1 {
  code: string;
  message: string;
  location?: { file: string; row: number; col: number };
}

/** Where the decision was asked: logged in `custom.wasmgate.transport`. */
export type { DecisionTransport } from '../decide/types.ts';
import type { DecisionTransport } from '../decide/types.ts';

/** What the hot path hands to the logger: cheap to build, turned into an event off the hot path. */
export interface DecisionLogRecord {
  decision_id: string;
  /** the path asked ('' for the root document) */
  path: string;
  /** absent: undefined input */
  input?: unknown;
  /** absent: undefined decision */
  result?: unknown;
  error?: DecisionErrorV1;
  requested_by?: string;
  /** ms since the epoch */
  time: number;
  metrics?: Record<string, number>;
  bundles?: Record<string, { revision: string }>;
  /** the HTTP request number (OPA's req_id) */
  req_id?: number;
  /** the caller's HTTP request headers (only those named by decision_logs.request_context are logged) */
  headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** wasmgate's own facts for `custom.wasmgate` */
  wasmgate?: { transport?: DecisionTransport; cached?: boolean; digest?: string | null };
}
