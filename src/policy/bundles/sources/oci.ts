import type { ArtifactStore } from '../../../oci/store.ts';
import { messageOf } from '../../../common/error.ts';
import { MEDIA_TYPES } from '../../../oci/media-types.ts';
import { parseReference } from '../../../resolve/index.ts';
import { BundleError, bundleError } from '../error.ts';
import type { BundleSource, FetchResult } from './types.ts';

/** The layer media type of an OPA OCI bundle. */
export const OCI_BUNDLE_LAYER = MEDIA_TYPES.ociLayerTarGzip;

/**
 * OPA's OCI bundle layout (`services[_].type: oci`): the manifest at `resource`
 * (a full reference) names the bundle as its first `tar+gzip` layer. The etag
 * is that layer's digest hex, so an unchanged layer is not downloaded again.
 * Fetches go through wasmgate's registry client (auth, host allow-list, digest
 * and size checks).
 */
export class OciSource implements BundleSource {
  readonly kind = 'oci' as const;
  readonly description: string;
  readonly #store: ArtifactStore;
  readonly #repository: string;
  readonly #reference: string;
  readonly #maxBytes: number;
  readonly #beforeFetch: (() => Promise<void>) | undefined;
  readonly #close: (() => Promise<void>) | undefined;

  constructor(options: {
    store: ArtifactStore;
    reference: string;
    maxBytes: number;
    /** runs before every check (e.g. re-reading a token file) */
    beforeFetch?: () => Promise<void>;
    /** releases what the source owns (its registry client) */
    close?: () => Promise<void>;
  }) {
    const ref = parseReference(options.reference);
    if (ref.kind !== 'registry') {
      throw bundleError('BUNDLE_SOURCE_INVALID', `OCI bundle resource ${options.reference} must be a registry reference such as registry.example/org/policy:tag`);
    }
    this.#store = options.store;
    this.#repository = `${ref.registry}/${ref.repository}`;
    this.#reference = ref.digest ?? ref.tag ?? 'latest';
    this.#maxBytes = options.maxBytes;
    this.#beforeFetch = options.beforeFetch;
    this.#close = options.close;
    this.description = options.reference;
  }

  async fetch(etag: string | undefined, signal: AbortSignal): Promise<FetchResult> {
    await this.#beforeFetch?.();
    try {
      const manifest = await this.#store.fetchManifest(this.#repository, this.#reference, { signal });
      if (manifest.document.kind !== 'manifest') {
        throw bundleError('BUNDLE_SOURCE_INVALID', `${this.description} is an image index; push the bundle as a single manifest (oras push … bundle.tar.gz:${OCI_BUNDLE_LAYER})`);
      }
      const layer = manifest.document.layers.find((l) => l.mediaType === OCI_BUNDLE_LAYER);
      if (layer === undefined) {
        throw bundleError('BUNDLE_SOURCE_INVALID', `${this.description} has no ${OCI_BUNDLE_LAYER} layer; push the bundle with that media type`);
      }
      const tag = layer.digest.slice(layer.digest.indexOf(':') + 1);
      if (tag === etag) return { kind: 'not-modified' };
      if (layer.size > this.#maxBytes) {
        throw bundleError('BUNDLE_DOWNLOAD_FAILED', `bundle layer of ${this.description} is ${layer.size} bytes, over size_limit_bytes ${this.#maxBytes}`);
      }
      const bytes = await this.#store.fetchBlob(this.#repository, layer, { signal, maxBytes: this.#maxBytes });
      return { kind: 'modified', bytes, etag: tag };
    } catch (err) {
      if (err instanceof BundleError) throw err;
      throw bundleError('BUNDLE_DOWNLOAD_FAILED', `fetching OCI bundle ${this.description} failed: ${messageOf(err)}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.#close?.();
  }
}
