/** OPA's decision log event, version 1 (v1/plugins/logs/plugin.go EventV1). */
export interface DecisionEventV1 {
  labels: Record<string, string>;
  decision_id: string;
  bundles?: Record<string, { revision: string }>;
  path?: string;
  input?: unknown;
  result?: unknown;
  erased?: string[];
  masked?: string[];
  error?: { code: string; message: string };
  requested_by?: string;
  /** RFC 3339 (UTC) */
  timestamp: string;
  metrics?: Record<string, number>;
  req_id?: number;
}

/** What the hot path hands to the logger: cheap to build, turned into an event off the hot path. */
export interface DecisionLogRecord {
  decision_id: string;
  path: string;
  /** absent: undefined input */
  input?: unknown;
  /** absent: undefined decision */
  result?: unknown;
  error?: { code: string; message: string };
  requested_by?: string;
  /** ms since the epoch */
  time: number;
  metrics?: Record<string, number>;
  bundles?: Record<string, { revision: string }>;
}
