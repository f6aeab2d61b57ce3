/**
 * The validated, defaults-injected configuration (see schema.ts for the wire shape). validate.ts
 * assigns the schema's derived type (ConfigDocument, json-schema-to-ts) to WasmgateConfig without a
 * cast, and test/unit/config/schema-types.test.ts checks the other direction: keep both in step.
 */

export interface ServiceConfig {
  name: string;
  url: string;
  type?: 'oci' | 'http';
  headers?: Record<string, string>;
  response_header_timeout_seconds: number;
  allow_insecure_tls: boolean;
  tls?: { ca_cert?: string };
  credentials?: Record<string, unknown>;
}

export interface BundleConfig {
  service?: string;
  resource?: string;
  persist: boolean;
  size_limit_bytes: number;
  trigger: 'periodic' | 'manual';
  /** node-cron expression driving checks instead of min/max polling (wasmgate addition) */
  schedule?: string;
  polling?: { min_delay_seconds?: number; max_delay_seconds?: number; long_polling_timeout_seconds?: number };
  signing?: { keyid?: string; scope?: string; exclude_files?: string[] };
}

export interface KeyConfig {
  algorithm: string;
  key?: string;
  scope?: string;
}

export interface LogMask {
  path: string;
  value?: unknown;
}

export interface DecisionLogsConfig {
  service?: string;
  resource: string;
  partition_name?: string;
  console: boolean;
  file: string | null;
  mask_decision: string;
  drop_decision: string;
  erase: string[];
  mask: LogMask[];
  /** predicates longer than this (JSON bytes) are erased from logged inputs; 0: no cap */
  max_predicate_bytes: number;
  reporting: {
    buffer_type: 'size' | 'event';
    buffer_size_limit_events: number;
    buffer_size_limit_bytes?: number;
    upload_size_limit_bytes: number;
    min_delay_seconds?: number;
    max_delay_seconds?: number;
    max_decisions_per_second?: number | null;
    trigger: 'periodic' | 'immediate' | 'manual';
  };
  request_context?: { http?: { headers?: string[] } };
}

export interface StatusConfig {
  service?: string;
  partition_name?: string;
  console: boolean;
  prometheus: boolean;
  trigger: 'periodic';
}

export interface ServerConfig {
  decoding: { max_length: number; max_depth: number; gzip: { max_length: number } };
  encoding: { gzip: { min_length: number; compression_level: number } };
  metrics: { prom: { http_request_duration_seconds: { buckets?: number[] } } };
  shutdown_grace_ms: number;
}

export interface RegistriesConfig {
  allow: string[];
  insecure: string[];
  /** directories API layout refs may be read from (resolved from the config file's folder) */
  layouts: string[];
  /** token-service hosts credentials may go to besides the registry's own host */
  token_realms: string[];
  /** hosts redirects may lead to besides the registry's origin (blob storage) */
  redirect_hosts: string[];
  docker_config: string | null;
  /** seconds a registry tag's resolution is reused (0: resolve on every decision) */
  tag_ttl_seconds: number;
  /** module repository (`registry/repo`) → further repositories holding its signatures (cosign's COSIGN_REPOSITORY) */
  signature_repositories: Record<string, string[]>;
  limits: {
    manifest_bytes: number;
    blob_bytes: number;
    attestation_bytes: number;
    referrers: number;
    request_timeout_ms: number;
    concurrency: number;
  };
}

export interface VulnerabilityDbConfig {
  path: string | null;
  refresh: { url: string | null; schedule: string | null };
  count_informational: boolean;
  /** false: decide without vulnerability data when it is missing, unloadable or stale (default true: deny) */
  required: boolean;
  /** "7d", "36h", "90m", "600s"; null: no age limit */
  max_age: string | null;
}

export interface DecisionConfig {
  /** normalised: no leading or trailing slash */
  paths: string[];
  deadline_ms: number;
  /** uncached decisions computed at once, and waiting; beyond both a decision is shed (deny `overloaded`) */
  admission: { max_concurrent: number; max_queued: number };
  cache: { ttl_seconds: number; max_entries: number; verification_entries: number };
  /** policy evaluation off the event loop: worker threads (null: cores − 1, 0: none) and the queue bound */
  evaluation: { threads: number | null; max_queue: number; nice: number };
}

export interface UnixListenerConfig {
  path: string;
  /** octal string, e.g. "0660" */
  mode: string;
}

export interface ListenersConfig {
  tcp: string | null;
  unix: UnixListenerConfig | null;
}

/** `integrations.wasmcloud`: defaults are injected by the adapter (toWasmcloudOptions), which validates again. */
export interface WasmcloudIntegrationConfig {
  nats_url: string;
  policy_topic?: string;
  changes_topic?: string | null;
  invocation?: 'allow' | 'deny' | 'decide';
  deadline_ms?: number;
  host_timeout_ms?: number;
  recheck_deadline_ms?: number;
  max_cached_requests?: number;
  queue_group?: string | null;
  path?: string;
}

export interface GatekeeperIntegrationConfig {
  enabled: boolean;
  path: string;
  deadline_ms: number;
  max_keys: number;
  concurrency: number;
}

export interface IntegrationsConfig {
  wasmcloud: WasmcloudIntegrationConfig | null;
  gatekeeper: GatekeeperIntegrationConfig;
}

export interface WasmgateConfig {
  /** normalised to a map keyed by name */
  services: Record<string, ServiceConfig>;
  labels: Record<string, string>;
  keys: Record<string, KeyConfig>;
  bundles: Record<string, BundleConfig>;
  decision_logs: DecisionLogsConfig;
  status: StatusConfig;
  default_decision: string;
  persistence_directory: string;
  nd_builtin_cache: boolean;
  server: ServerConfig;
  plugins: Record<string, unknown>;
  registries: RegistriesConfig;
  /** opaque here: validated by the verification module */
  trust: Record<string, unknown>;
  vulnerability_db: VulnerabilityDbConfig;
  decision: DecisionConfig;
  listeners: ListenersConfig;
  integrations: IntegrationsConfig;
  ui: UiConfig;
  cache: { shared: SharedCacheConfig | null };
}

/** `cache.shared` as written: fleet mode on Redis/Valkey (deploy/fleet/README.md); defaults: SHARED_CACHE_DEFAULTS */
export interface SharedCacheConfig {
  url: string;
  username?: string;
  password?: string;
  password_file?: string;
  tls?: { ca_cert?: string; server_name?: string };
  key_prefix?: string;
  ttl_seconds?: number;
  decisions?: boolean;
  integrity_key_file?: string;
  lock_ms?: number;
  wait_ms?: number;
  connect_timeout_ms?: number;
  command_timeout_ms?: number;
  max_backoff_ms?: number;
}

/** `ui:` the decision explorer at /ui/ */
export interface UiConfig {
  /** null: on when every listener is loopback or a Unix socket */
  enabled: boolean | null;
  max_decisions: number;
}
