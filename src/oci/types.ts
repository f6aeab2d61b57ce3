/**
 * What collection hands to verification: every candidate signature or
 * attestation found for one module, with the bytes already fetched and their
 * digests already checked. Nothing here is trusted yet.
 */

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

/** The module being decided on: the manifest a reference resolved to. */
export interface ModuleTarget {
  /** the reference as asked */
  ref: string;
  /** `registry/repo` for registries, `oci:<dir>` for layouts */
  repository: string;
  /** manifest digest (the identity of the decision) */
  digest: string;
  mediaType: string;
  artifactType?: string;
  /** layers of the selected manifest */
  layers: OciDescriptor[];
  /** the wasm layer (first layer with a wasm media type), if any */
  wasmLayer?: OciDescriptor;
  /** when the ref named an image index: its digest; evidence attached to it counts too */
  indexDigest?: string;
}

export type RawEvidenceKind =
  /** a Sigstore bundle (v0.1–v0.3) stored as an OCI referrer layer (cosign v3, GitHub attestations) */
  | 'sigstore-bundle'
  /** cosign legacy `.sig` layer: simple-signing payload + base64 signature annotation */
  | 'cosign-legacy-signature'
  /** cosign legacy `.att` layer: a DSSE envelope with cosign's annotations */
  | 'cosign-legacy-attestation';

export interface RawEvidence {
  kind: RawEvidenceKind;
  /** the manifest that carried it (a referrer or a legacy tag's manifest) */
  manifestDigest: string;
  /** the digest this evidence claims to be attached to (referrer subject, or the legacy tag's digest) */
  attachedTo: string;
  /** how it was found */
  discoveredVia: 'referrers-api' | 'referrers-tag' | 'cosign-legacy-tag' | 'oci-layout';
  /** the layer descriptor (with annotations: cosign puts the signature, certificate and chain there) */
  layer: OciDescriptor;
  /** the layer's bytes, digest-checked */
  payload: Uint8Array;
  /** the carrying manifest's artifactType, if any */
  artifactType?: string;
  /** the carrying manifest's annotations (e.g. `org.opencontainers.image.created`) */
  annotations?: Record<string, string>;
}

export interface CollectedEvidence {
  module: ModuleTarget;
  evidence: RawEvidence[];
  /** non-fatal problems met during discovery (a referrer naming another subject, an oversized candidate…) */
  warnings: Array<{ code: string; message: string }>;
}
