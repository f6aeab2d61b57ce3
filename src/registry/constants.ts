/** Every header name the client speaks (media types: src/oci/media-types.ts). */
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

export const USER_AGENT = 'wasmgate/0.1';
