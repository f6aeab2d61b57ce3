import type { ManifestDocument } from './manifest.ts';
import type { OciDescriptor } from './types.ts';

/** Options every store call takes. */
export interface FetchOptions {
  /** caller cancellation and overall deadline */
  signal?: AbortSignal;
  /** epoch ms of the overall deadline (retries never wait past it) */
  deadlineAt?: number;
  /** bound on the bytes read; the store's default applies when absent */
  maxBytes?: number;
}

/** A manifest or index, its raw bytes digest-checked. */
export interface FetchedManifest {
  /** sha256 of the raw bytes (equal to the reference when it was fetched by digest) */
  digest: string;
  mediaType: string;
  size: number;
  bytes: Uint8Array;
  document: ManifestDocument;
}

export interface ReferrersList {
  descriptors: OciDescriptor[];
  /** filters the store applied (`artifactType`), from OCI-Filters-Applied */
  filtersApplied: string[];
}

/**
 * Where modules and their evidence live: a registry (RegistryClient) or an OCI image-layout directory
 * (OciLayoutStore). `repository` is `registry/repo` for registries and `oci:<dir>` for layouts.
 * Everything returned is digest-checked and size-bounded.
 */
export interface ArtifactStore {
  readonly kind: 'registry' | 'oci-layout';
  /** identity of the store, to scope caches (a layout's absolute directory, or `registry`) */
  readonly id: string;
  /** GET a manifest or index by tag or digest. A missing one throws MANIFEST_UNKNOWN. */
  fetchManifest(repository: string, reference: string, opts?: FetchOptions): Promise<FetchedManifest>;
  /** GET a blob by digest, checked against descriptor.digest and descriptor.size. A missing one throws BLOB_UNKNOWN. */
  fetchBlob(repository: string, descriptor: Pick<OciDescriptor, 'digest' | 'size'>, opts?: FetchOptions): Promise<Uint8Array>;
  /** The OCI 1.1 referrers of a digest, or undefined when the store has no referrers API (use the tag fallback). */
  listReferrers(repository: string, digest: string, opts?: FetchOptions & { artifactType?: string }): Promise<ReferrersList | undefined>;
  /** Tags of a repository (bounded). */
  listTags(repository: string, opts?: FetchOptions): Promise<string[]>;
  /**
   * The digest a tag points at now, as cheaply as the store allows (a registry: one `HEAD`; a layout: index.json,
   * re-read only when it changed). A missing tag throws MANIFEST_UNKNOWN. Optional: without it, a tag is fetched.
   */
  resolveTag?(repository: string, tag: string, opts?: FetchOptions): Promise<string>;
  /** For stores that can pick a module without tag or digest (a layout with one manifest): its digest. */
  defaultReference?(): Promise<string>;
  /** Releases connections / handles. */
  close(): Promise<void>;
}

/** Default size bounds. */
export interface StoreLimits {
  /** one manifest or index; default 4 MiB (distribution's recommended manifest limit) */
  manifestBytes: number;
  /** one blob; default 128 MiB (cosign's attachment limit) */
  blobBytes: number;
  /** one referrers response page; default 4 MiB */
  referrersBytes: number;
}

export const DEFAULT_STORE_LIMITS: Readonly<StoreLimits> = Object.freeze({
  manifestBytes: 4 * 1024 * 1024,
  blobBytes: 128 * 1024 * 1024,
  referrersBytes: 4 * 1024 * 1024,
});
