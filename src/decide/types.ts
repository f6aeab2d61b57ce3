import type { ErrorEntry, InputV1, RequestV1 } from '../contract/input-v1.ts';

/** "May I load this module?" — what every front end (HTTP API, CLI, NATS, Gatekeeper) asks. */
export interface DecisionRequest {
  /** module reference: `registry/repo:tag`, `…@sha256:…`, `oci:<dir>:<tag>`, `oci:<dir>@sha256:…` */
  ref: string;
  /** caller context, copied into `input.request` (time is set by wasmgate) */
  request?: Partial<RequestV1>;
  /** the policy path to answer (default `wasm/sbom`) */
  path?: string;
  /**
   * the caller wants the whole document at `path` (OPA's package document), not only its verdict: it is evaluated
   * with the decision (off the event loop when a pool evaluates) and returned in `result`
   */
  document?: boolean;
  /** per-decision time budget; default from config (900 ms) */
  deadlineMs?: number;
  /** what the transport knows for the decision log event (path as asked, answer shape, caller, timers) */
  log?: DecisionLogContext;
}

export interface Decision {
  allow: boolean;
  /** sorted deny messages */
  deny: string[];
  /** the manifest digest decided on, when resolution got that far */
  digest: string | null;
  decision_id: string;
  /** the bundle revision that decided (null when no policy could run) */
  revision: string | null;
  /** fail-closed reasons (`registry_unreachable`, `timeout`, `no_trusted_policy`, …); empty when the policy decided */
  errors: ErrorEntry[];
  /** the result at the requested path, as the policy returned it (for a package path: `{allow, deny}` only, unless `document`) */
  result: unknown;
  /** `result` is the whole document at the path (the request asked for it and the policy computed it) */
  document?: boolean;
  /** the assembled input document, when one was assembled */
  input: InputV1 | null;
  /** OPA-style timers (timer_*_ns) */
  metrics: Record<string, number>;
  cached: boolean;
}

export interface Decider {
  decide(req: DecisionRequest, signal?: AbortSignal): Promise<Decision>;
}

/** The transports a decision is asked over (decision logs record it). */
export type DecisionTransport = 'http' | 'gatekeeper' | 'wasmcloud' | 'cli';

/** What a transport knows about the ask that the decision itself does not (all optional). */
export interface DecisionLogContext {
  transport: DecisionTransport;
  /** the path as the caller asked it (default: the decided path) */
  path?: string;
  /**
   * What the caller was answered, derived from the decision (default: the
   * verdict `{allow, deny, digest}`); `undefined` logs an undefined decision.
   */
  answer?: (d: Decision) => unknown;
  /** the caller's input as sent, logged when no input was assembled */
  callerInput?: unknown;
  requested_by?: string;
  /** OPA's req_id: the HTTP request's number */
  req_id?: number;
  headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** process.hrtime.bigint() when the transport's handler started: timer_server_handler_ns */
  started?: bigint;
  /** extra timers measured by the transport (timer_rego_input_parse_ns, …) */
  metrics?: Record<string, number>;
}
