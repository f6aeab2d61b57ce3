/**
 * The embedded default configuration: what `wasmgate serve` runs without
 * `--config`. Loopback TCP on 127.0.0.1:8181, the embedded bundle, no remote
 * registries (OCI layouts only), decision logs off.
 */
export const EMBEDDED_DEFAULT_CONFIG_YAML = `# wasmgate embedded default configuration
labels:
  app: wasmgate
decision:
  paths: [wasm/sbom]
  deadline_ms: 900
  cache:
    ttl_seconds: 300
    max_entries: 10000
listeners:
  tcp: "127.0.0.1:8181"
  unix: null
registries:
  allow: []
decision_logs:
  console: false
`;
