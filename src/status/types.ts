/** OPA's plugin states: every long-lived component starts at NOT_READY. */
export type ComponentState = 'NOT_READY' | 'OK' | 'WARN' | 'ERROR';

export interface ComponentStatus {
  state: ComponentState;
  message?: string;
  /** machine-readable facts shown under /v1/status (sizes, versions, last error). Never credentials. */
  details?: Record<string, unknown>;
}

/** Per-bundle status in OPA's shape (v1/plugins/bundle/status.go), the fields wasmgate fills. */
export interface BundleStatusV1 {
  name: string;
  active_revision?: string;
  /** RFC 3339 */
  last_successful_activation?: string;
  last_successful_download?: string;
  last_request?: string;
  last_successful_request?: string;
  code?: string;
  message?: string;
  errors?: Array<{ code: string; message: string }>;
  type?: string;
  metrics?: Record<string, unknown>;
}

/** A snapshot handed to listeners and to the status API; a copy, safe to keep. */
export interface StatusSnapshot {
  plugins: Record<string, ComponentStatus>;
  bundles: Record<string, BundleStatusV1>;
}

export type StatusListener = (snapshot: StatusSnapshot) => void;
