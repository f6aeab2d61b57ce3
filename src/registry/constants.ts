/** Every media type and header name the client speaks. */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
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

export const HEADERS = {
  accept: 'accept',
  authorization: 'authorization',
  wwwAuthenticate: 'www-authenticate',
  contentType: 'content-type',
  contentLength: 'content-length',
  dockerContentDigest: 'docker-content-digest',
  retryAfter: 'retry-after',
  link: 'link',
  location: 'location',
  ociFiltersApplied: 'oci-filters-applied',
  userAgent: 'user-agent',
} as const;

export const ANNOTATIONS = {
  created: 'org.opencontainers.image.created',
  refName: 'org.opencontainers.image.ref.name',
  cosignSignature: 'dev.cosignproject.cosign/signature',
  predicateType: 'predicateType',
  bundlePredicateType: 'dev.sigstore.bundle.predicateType',
  bundleContent: 'dev.sigstore.bundle.content',
} as const;

export const USER_AGENT = 'wasmgate/0.1';
