/**
 * The embedded default configuration: what `wasmgate serve` runs without
 * `--config`. Loopback TCP on 127.0.0.1:8181, the embedded bundle, no remote
 * registries (only the OCI layout demo/store), the demo trust and the shipped RustSec
 * database (relative paths resolve from the package root), decision logs off.
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
  # API refs oci:<dir>… are read only from these directories (symlinks resolved and checked)
  layouts: [demo/store]
# The demo trust: keyless identities of the seed's pipeline, chained to the demo
# trusted root that signed the modules in demo/store (made offline by scripts/make-demo.ts).
# roles say what each signer may vouch for; the policy requires the role that fits.
trust:
  keyless:
    # the build workflow signs the module and attests its SBOM
    - subject: https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main
      issuer: https://token.actions.githubusercontent.com
      roles: [sbom, signature]
    # the SLSA generator signs the provenance
    - subject_regexp: 'https://github\\.com/slsa-framework/slsa-github-generator/\\.github/workflows/generator_(generic|container)_slsa3\\.yml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+'
      issuer: https://token.actions.githubusercontent.com
      roles: [provenance]
  trusted_roots: [demo/trusted_root.json]
# The demo's RustSec export is frozen (its newest record is from 2026-08-21), so the demo sets no age limit.
# A deployment keeps the default max_age (7d) and refreshes its data (see deploy/).
vulnerability_db:
  path: demo/osv/rustsec-osv-all.zip
  max_age: null
persistence_directory: .wasmgate
decision_logs:
  console: false
`;
