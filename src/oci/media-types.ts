/**
 * The one home of the media types, annotation keys and payload types wasmgate speaks: OCI and Docker manifests,
 * wasm layers, OPA's OCI bundle layer, cosign and Sigstore evidence, in-toto statements. The registry client,
 * the collector, the verifier and the OCI bundle source all import from here.
 */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  /** the layer of an OPA OCI bundle (OPA's `services[_].type: oci`) */
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  sigstoreBundleV01: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
  sigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  sigstoreBundlePrefix: 'application/vnd.dev.sigstore.bundle',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  dsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  cosignArtifactSig: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  cosignArtifactSbom: 'application/vnd.dev.cosign.artifact.sbom.v1+json',
  inToto: 'application/vnd.in-toto+json',
  wasmConfigV0: 'application/vnd.wasm.config.v0+json',
  wasmConfigV1: 'application/vnd.wasm.config.v1+json',
  wasm: 'application/wasm',
  wasmContentLayer: 'application/vnd.wasm.content.layer.v1+wasm',
  wasmModuleLayer: 'application/vnd.module.wasm.content.layer.v1+wasm',
} as const;

export const MANIFEST_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest];
export const INDEX_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList];
export const WASM_LAYER_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.wasm, MEDIA_TYPES.wasmContentLayer, MEDIA_TYPES.wasmModuleLayer];

export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest].join(', ');
export const INDEX_ACCEPT = MEDIA_TYPES.ociIndex;

/** Annotation keys of OCI manifests and of cosign's and Sigstore's evidence layers. */
export const ANNOTATIONS = {
  created: 'org.opencontainers.image.created',
  refName: 'org.opencontainers.image.ref.name',
  /** cosign legacy signature layers: the base64 signature */
  cosignSignature: 'dev.cosignproject.cosign/signature',
  /** cosign legacy layers: the PEM signing certificate */
  cosignCertificate: 'dev.sigstore.cosign/certificate',
  /** cosign legacy layers: the Rekor bundle (SignedEntryTimestamp + payload) */
  cosignRekorBundle: 'dev.sigstore.cosign/bundle',
  /** cosign legacy layers: an RFC 3161 timestamp */
  cosignRfc3161: 'dev.sigstore.cosign/rfc3161timestamp',
  predicateType: 'predicateType',
  bundlePredicateType: 'dev.sigstore.bundle.predicateType',
  bundleContent: 'dev.sigstore.bundle.content',
} as const;

/** Payload types inside evidence: the in-toto DSSE payload type and statement types, cosign's simple signing. */
export const IN_TOTO_PAYLOAD_TYPE = MEDIA_TYPES.inToto;
export const STATEMENT_TYPES: readonly string[] = ['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1'];
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';
/** cosign v3 `sign` wraps the image signature in a statement of this predicate type */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
