/** What one check of a bundle source yields. */
export type FetchResult =
  | {
    kind: 'modified';
    bytes: Uint8Array;
    /** the source's version tag (HTTP ETag, OCI layer digest hex, file sha256) */
    etag: string;
    /** true when the HTTP service offers long polling (next request may wait server-side) */
    longPolling?: boolean;
  }
  | { kind: 'not-modified'; longPolling?: boolean };

/**
 * A place a bundle comes from (one per configured bundle, like OPA's loaders).
 * `fetch` is given the etag of the last bundle that was activated (or nothing)
 * and answers not-modified when it is still current.
 */
export interface BundleSource {
  readonly kind: 'file' | 'http' | 'oci';
  /** for messages and status: a path, URL or reference (never credentials) */
  readonly description: string;
  fetch(etag: string | undefined, signal: AbortSignal): Promise<FetchResult>;
  /** file sources: calls `changed` when the file or directory changes; returns the unwatch function */
  watch?(changed: () => void): () => void;
  close?(): Promise<void>;
}
