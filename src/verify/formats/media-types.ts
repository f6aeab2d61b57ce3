/** Media types and annotation keys of the evidence formats (cosign, Sigstore, in-toto). */
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const BUNDLE_V01_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

export const ANN_SIGNATURE = 'dev.cosignproject.cosign/signature';
export const ANN_CERTIFICATE = 'dev.sigstore.cosign/certificate';
export const ANN_REKOR_BUNDLE = 'dev.sigstore.cosign/bundle';
export const ANN_RFC3161 = 'dev.sigstore.cosign/rfc3161timestamp';

export const STATEMENT_TYPES: readonly string[] = ['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1'];
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';
/** cosign v3 `sign` wraps the image signature in a statement of this predicate type */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
