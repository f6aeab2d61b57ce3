/**
 * The policy input document, version 1 (ARCHITECTURE.md §2). These names are a
 * contract with the shipped Rego policy and with operators' own policies:
 * fields may be added, never renamed.
 */

export interface ErrorEntry {
  /** stable snake_case code, e.g. `signature_invalid`, `subject_mismatch` */
  code: string;
  message: string;
}

export interface CertificateFacts {
  /** the certificate's subject alternative name (URI or email) */
  subject: string;
  /** the OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.1 or .8) */
  issuer: string;
  /** decoded Fulcio extensions by name (source_repository_uri, build_signer_uri, …) */
  extensions: Record<string, string>;
  not_before?: string;
  not_after?: string;
}

export type EvidenceFormat = 'cosign-legacy' | 'sigstore-bundle';

/** One signature or attestation as found, verified or not. */
export interface Evidence {
  verified: boolean;
  errors: ErrorEntry[];
  format: EvidenceFormat;
  /** digest of the OCI manifest that carried this evidence */
  manifest_digest: string;
  /** in-toto predicate type; absent for plain image signatures */
  predicate_type?: string;
  /** true when a statement subject (or a simple-signing payload) names this module */
  subject_matches: boolean;
  certificate: CertificateFacts | null;
  key: { id: string } | null;
  tlog: { log_index: number; integrated_time: string } | null;
  /**
   * The roles (`sbom`, `provenance`, `signature`) the trust configuration gives
   * the signer that verified this evidence (`trust.keys[].roles`,
   * `trust.keyless[].roles`); empty when not verified. The policy requires the
   * role that fits: an SBOM counts only when `"sbom" in verified_for`.
   */
  verified_for?: string[];
  /** the in-toto predicate (attestations only) */
  predicate?: unknown;
  /** how it was found: `referrers-api`, `referrers-tag`, `cosign-legacy-tag`, `oci-layout` */
  found_via?: string;
}

export interface LayerDescriptorV1 {
  digest: string;
  media_type: string;
  size: number;
}

export interface WasmProducers {
  language: string[];
  'processed-by': string[];
  sdk: string[];
}

export interface EmbeddedDependency {
  name: string;
  version: string;
  source: string;
  kind?: string;
}

export interface WasmFactsV1 {
  digest: string;
  kind: 'module' | 'component';
  imports: string[];
  exports: string[];
  producers: WasmProducers | null;
  embedded_dependencies: EmbeddedDependency[] | null;
  custom_sections?: Array<{ name: string; size: number }>;
}

export interface ModuleV1 {
  ref: string;
  repository: string;
  digest: string;
  media_type?: string;
  artifact_type?: string;
  layers: LayerDescriptorV1[];
  wasm: WasmFactsV1 | null;
}

export type Severity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Negligible' | 'Unknown';

export interface VulnerabilityMatch {
  vulnerability: {
    id: string;
    aliases: string[];
    severity: Severity;
    fixed_in: string[];
    /** RustSec informational kind (`unmaintained`, `unsound`, `notice`), else null */
    informational: string | null;
    summary?: string;
    cvss?: Array<{ type: string; vector: string; score: number | null }>;
    url?: string;
  };
  artifact: { name: string; version: string; purl: string };
}

export interface VulnerabilityScan {
  source: 'osv' | 'grype' | 'trivy' | 'attestation' | 'none';
  database: { name: string; built: string; records: number; version?: string };
  matches: VulnerabilityMatch[];
  /** components that could not be matched (git/path crates, purl-less entries) */
  unmatched?: Array<{ name: string; version: string; reason: string }>;
  /** advisories that matched by version but cannot apply on the target platform (affects.os/arch) */
  not_applicable?: Array<{ id: string; name: string; version: string; reason: string }>;
}

export interface RequestV1 {
  time: string;
  runtime?: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

export interface InputV1 {
  module: ModuleV1;
  signatures: Evidence[];
  sbom_attestations: Evidence[];
  provenance_attestations: Evidence[];
  other_attestations: Evidence[];
  vulnerability_scan: VulnerabilityScan;
  request: RequestV1;
  /** decision-time failures that prevented full evidence (fail closed: the policy denies on these) */
  errors?: ErrorEntry[];
}
