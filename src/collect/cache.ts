import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WasmgateError } from '../common/error.ts';
import { sha256Digest } from '../registry/digest.ts';
import type { ArtifactStore, FetchedManifest, FetchOptions, ReferrersList } from '../oci/store.ts';
import type { OciDescriptor } from '../oci/types.ts';
import { parseManifestDocument } from '../registry/manifest.ts';
import { RegistryError } from '../registry/error.ts';

export interface ContentCacheOptions {
  /** bound on the bytes kept in memory; default 64 MiB */
  maxBytes?: number;
  /** optional on-disk copy (e.g. `<persistence_directory>/content`); entries are re-hashed when read back */
  dir?: string;
}

interface Entry {
  bytes: Uint8Array;
  mediaType?: string;
}

/**
 * Immutable content by digest: an LRU bounded in bytes, an optional disk tier, and single-flight per key so that
 * concurrent requests for one digest share one fetch. Failures are never stored. Keys are scoped by store and
 * repository, so content seen in one repository is not served for another.
 */
export class ContentCache {
  readonly maxBytes: number;
  readonly #dir: string | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<Entry>>();
  #bytes = 0;
  /** counters for tests and metrics */
  readonly stats = { hits: 0, misses: 0, diskHits: 0, shared: 0 };

  constructor(options: ContentCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#dir = options.dir;
  }

  get size(): number {
    return this.#bytes;
  }

  async get(scope: string, digest: string, fetch: () => Promise<Entry>, signal?: AbortSignal): Promise<Entry> {
    const key = `${scope}@${digest}`;
    const hit = this.#entries.get(key);
    if (hit) {
      this.stats.hits++;
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const pending = this.#inflight.get(key);
    if (pending) {
      this.stats.shared++;
      try {
        return await pending;
      } catch (err) {
        // the fetch we joined was cancelled by its first caller: try again on our own unless we are cancelled too
        if (signal?.aborted || !isCancellation(err)) throw err;
        return this.get(scope, digest, fetch, signal);
      }
    }
    this.stats.misses++;
    const p = this.#load(scope, digest, fetch).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, p);
    const entry = await p;
    this.#remember(key, entry);
    return entry;
  }

  async #load(scope: string, digest: string, fetch: () => Promise<Entry>): Promise<Entry> {
    const path = this.#dir === undefined ? undefined : this.#path(scope, digest);
    if (path !== undefined) {
      const fromDisk = await readDisk(path, digest);
      if (fromDisk) {
        this.stats.diskHits++;
        return fromDisk;
      }
    }
    const entry = await fetch();
    if (path !== undefined) await writeDisk(path, entry).catch(() => undefined);
    return entry;
  }

  #path(scope: string, digest: string): string {
    const scopeDir = createHash('sha256').update(scope).digest('hex').slice(0, 16);
    return join(this.#dir ?? '', scopeDir, digest.replace(':', '-'));
  }

  #remember(key: string, entry: Entry): void {
    if (entry.bytes.byteLength > this.maxBytes) return;
    if (this.#entries.has(key)) return;
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes.byteLength;
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= e.bytes.byteLength;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

function isCancellation(err: unknown): boolean {
  return WasmgateError.isWasmgateError(err) && (err.code === 'ABORTED' || err.code === 'DEADLINE_EXCEEDED');
}

async function readDisk(path: string, digest: string): Promise<Entry | undefined> {
  try {
    const bytes = new Uint8Array(await readFile(path));
    if (sha256Digest(bytes) !== digest) return undefined;
    const entry: Entry = { bytes };
    try {
      entry.mediaType = await readFile(`${path}.type`, 'utf8');
    } catch {
      // blobs have no media type
    }
    return entry;
  } catch {
    return undefined;
  }
}

async function writeDisk(path: string, entry: Entry): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  if (entry.mediaType !== undefined) await writeFile(`${path}.type`, entry.mediaType, { mode: 0o600 });
  await writeFile(tmp, entry.bytes, { mode: 0o600 });
  await rename(tmp, path);
}

/**
 * Wraps a store so that manifests fetched by digest and blobs go through the cache. Tags and referrers lists
 * are mutable and always go to the store.
 */
export function withContentCache(store: ArtifactStore, cache: ContentCache): ArtifactStore {
  // a layout is one repository (however the reference spelled its directory): scoped by the store alone
  const scope = (repository: string): string => (store.kind === 'oci-layout' ? store.id : `${store.id}\n${repository}`);
  const wrapped: ArtifactStore = {
    kind: store.kind,
    id: store.id,
    async fetchManifest(repository: string, reference: string, opts?: FetchOptions): Promise<FetchedManifest> {
      if (!reference.startsWith('sha256:')) return store.fetchManifest(repository, reference, opts);
      let fetched: FetchedManifest | undefined;
      const entry = await cache.get(scope(repository), reference, async () => {
        fetched = await store.fetchManifest(repository, reference, opts);
        return { bytes: fetched.bytes, mediaType: fetched.mediaType };
      }, opts?.signal);
      if (fetched) return fetched;
      const document = parseManifestDocument(entry.bytes, entry.mediaType);
      return { digest: reference, mediaType: document.mediaType, size: entry.bytes.byteLength, bytes: entry.bytes, document };
    },
    async fetchBlob(repository: string, descriptor: Pick<OciDescriptor, 'digest' | 'size'>, opts?: FetchOptions): Promise<Uint8Array> {
      const entry = await cache.get(scope(repository), descriptor.digest, async () => ({ bytes: await store.fetchBlob(repository, descriptor, opts) }), opts?.signal);
      if (entry.bytes.byteLength !== descriptor.size) {
        throw new RegistryError('DIGEST_MISMATCH', `blob ${repository}@${descriptor.digest} is ${entry.bytes.byteLength} bytes but its descriptor says ${descriptor.size}`);
      }
      return entry.bytes;
    },
    listReferrers(repository: string, digest: string, opts?: FetchOptions & { artifactType?: string }): Promise<ReferrersList | undefined> {
      return store.listReferrers(repository, digest, opts);
    },
    listTags(repository: string, opts?: FetchOptions): Promise<string[]> {
      return store.listTags(repository, opts);
    },
    close: () => store.close(),
  };
  if (store.resolveTag) {
    const resolveTag = store.resolveTag.bind(store);
    wrapped.resolveTag = (repository, tag, opts) => resolveTag(repository, tag, opts);
  }
  if (store.defaultReference) wrapped.defaultReference = () => (store.defaultReference as () => Promise<string>).call(store);
  return wrapped;
}
