import { constants, statSync, type BigIntStats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isDigest } from '../resolve/grammar.ts';
import { ANNOTATIONS, INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES } from '../oci/media-types.ts';
import { assertDigest, sha256Digest } from '../registry/digest.ts';
import { isRegistryError, RegistryError } from '../registry/error.ts';
import { parseManifestDocument, type ImageIndex } from '../registry/manifest.ts';
import type { ArtifactStore, FetchedManifest, FetchOptions, ReferrersList, StoreLimits } from '../oci/store.ts';
import { DEFAULT_STORE_LIMITS } from '../oci/store.ts';
import type { OciDescriptor } from '../oci/types.ts';

const COSIGN_KIND = 'kind';
const COSIGN_SAVE_KINDS: Record<string, string> = { sig: 'dev.cosignproject.cosign/sigs', att: 'dev.cosignproject.cosign/atts' };

/**
 * `cosign save` does not write tags: it marks entries with a `kind` annotation (`…/image`, `…/sigs`, `…/atts`)
 * and saves one image per layout. The legacy tag `sha256-<hex>.sig|.att` maps to the `sigs`/`atts` entry
 * only when the layout's image entry is that digest.
 */
function cosignSaveEntry(index: ImageIndex, tag: string): OciDescriptor | undefined {
  const m = /^sha256-([a-f0-9]{64})\.(sig|att)$/.exec(tag);
  if (!m) return undefined;
  const image = index.manifests.find((d) => d.annotations?.[COSIGN_KIND] === 'dev.cosignproject.cosign/image' || d.annotations?.[COSIGN_KIND] === 'dev.cosignproject.cosign/imageIndex');
  if (image?.digest !== `sha256:${m[1]}`) return undefined;
  return index.manifests.find((d) => d.annotations?.[COSIGN_KIND] === COSIGN_SAVE_KINDS[m[2] ?? '']);
}

/** Bound on the `oci-layout` marker file (it holds `{"imageLayoutVersion":"1.0.0"}`). */
const OCI_LAYOUT_BYTES = 4096;

/** How many manifests a referrers scan of a layout examines at most. */
const MAX_SCAN = 10_000;

/**
 * An OCI image-layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`) as an ArtifactStore: what
 * `oras push --oci-layout`, `oras cp --to-oci-layout` and `cosign save` write. Tags are the
 * `org.opencontainers.image.ref.name` annotations of index.json entries. There is no referrers API; referrers
 * are found by scanning every manifest the layout holds for a matching `subject`. `repository` is ignored (a
 * layout is one repository).
 */
export class OciLayoutStore implements ArtifactStore {
  readonly kind = 'oci-layout' as const;
  readonly id: string;
  readonly dir: string;
  readonly limits: Readonly<StoreLimits>;
  #scan: { mtimeMs: number; manifests: Map<string, { descriptor: OciDescriptor; subject?: string; artifactType?: string; annotations?: Record<string, string> }> } | undefined;

  /** index.json as last read, with the file identity it was read at (tag resolution re-reads it only on change) */
  #index: { stamp: string; index: ImageIndex } | undefined;

  constructor(dir: string, options: { limits?: Partial<StoreLimits> } = {}) {
    this.dir = resolve(dir);
    this.id = `oci:${this.dir}`;
    this.limits = Object.freeze({ ...DEFAULT_STORE_LIMITS, ...options.limits });
  }

  async close(): Promise<void> {}

  /** index.json, parsed and bounded. */
  async readIndex(): Promise<ImageIndex> {
    const layoutFile = join(this.dir, 'oci-layout');
    let layout: unknown;
    try {
      layout = JSON.parse(Buffer.from(await this.#readBounded(layoutFile, OCI_LAYOUT_BYTES, `${this.dir}/oci-layout`)).toString('utf8'));
    } catch (cause) {
      if (isRegistryError(cause) && cause.code !== 'LAYOUT_INVALID') throw cause;
      const why = isRegistryError(cause) ? `: ${cause.message}` : ' (no readable oci-layout file)';
      throw new RegistryError('LAYOUT_INVALID', `${this.dir} is not an OCI image layout${why}; create it with oras push --oci-layout or cosign save`, { cause, details: { dir: this.dir } });
    }
    if (typeof layout !== 'object' || layout === null || (layout as { imageLayoutVersion?: unknown }).imageLayoutVersion !== '1.0.0') {
      throw new RegistryError('LAYOUT_INVALID', `${layoutFile} does not declare imageLayoutVersion 1.0.0`);
    }
    const bytes = await this.#readBounded(join(this.dir, 'index.json'), this.limits.manifestBytes, `${this.dir}/index.json`).catch((cause: unknown) => {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw new RegistryError('LAYOUT_INVALID', `${this.dir}/index.json is missing`, { cause });
      throw cause;
    });
    const doc = parseManifestDocument(bytes, undefined);
    if (doc.kind !== 'index') throw new RegistryError('LAYOUT_INVALID', `${this.dir}/index.json is not an image index`);
    return doc;
  }

  /** The manifest an `oci:<dir>` reference without tag or digest means: the only entry of index.json, or cosign save's image. */
  async defaultReference(): Promise<string> {
    const index = await this.readIndex();
    if (index.manifests.length === 1 && index.manifests[0]) return index.manifests[0].digest;
    const saved = index.manifests.filter((d) => d.annotations?.[COSIGN_KIND] === 'dev.cosignproject.cosign/image' || d.annotations?.[COSIGN_KIND] === 'dev.cosignproject.cosign/imageIndex');
    if (saved.length === 1 && saved[0]) return saved[0].digest; // cosign save: one image plus its sigs/atts
    const tags = index.manifests.map((m) => m.annotations?.[ANNOTATIONS.refName]).filter((t): t is string => t !== undefined);
    throw new RegistryError('MANIFEST_UNKNOWN', `${this.dir} holds ${index.manifests.length} manifests; name one as oci:<dir>:<tag> or oci:<dir>@sha256:… (tags: ${tags.slice(0, 10).join(', ') || 'none'})`);
  }

  /**
   * index.json, re-read only when the file changed: its inode, size, mtime and ctime (nanoseconds) are compared
   * on every call, so a rewrite in place or a rename over it is seen at once. The stat is synchronous: one
   * metadata call on a local file costs microseconds, less than a hop through libuv's thread pool.
   */
  async currentIndex(): Promise<ImageIndex> {
    let st: BigIntStats;
    try {
      st = statSync(join(this.dir, 'index.json'), { bigint: true });
    } catch (cause) {
      throw new RegistryError('LAYOUT_INVALID', `${this.dir}/index.json is missing`, { cause });
    }
    const stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    if (this.#index?.stamp === stamp) return this.#index.index;
    const index = await this.readIndex();
    this.#index = { stamp, index };
    return index;
  }

  async resolveTag(_repository: string, tag: string): Promise<string> {
    const index = await this.currentIndex();
    const entry = index.manifests.find((m) => m.annotations?.[ANNOTATIONS.refName] === tag) ?? cosignSaveEntry(index, tag);
    if (!entry) throw new RegistryError('MANIFEST_UNKNOWN', `tag ${tag} does not exist in OCI layout ${this.dir}`, { details: { dir: this.dir, reference: tag } });
    return entry.digest;
  }

  async fetchManifest(_repository: string, reference: string, opts: FetchOptions = {}): Promise<FetchedManifest> {
    let digest = reference;
    if (!isDigest(reference)) {
      const index = await this.readIndex();
      const entry = index.manifests.find((m) => m.annotations?.[ANNOTATIONS.refName] === reference) ?? cosignSaveEntry(index, reference);
      if (!entry) throw new RegistryError('MANIFEST_UNKNOWN', `tag ${reference} does not exist in OCI layout ${this.dir}`, { details: { dir: this.dir, reference } });
      digest = entry.digest;
    }
    const what = `manifest ${digest} in ${this.dir}`;
    const limit = Math.min(opts.maxBytes ?? this.limits.manifestBytes, this.limits.manifestBytes);
    const bytes = await this.#readBlobFile(digest, limit, what, 'MANIFEST_UNKNOWN');
    verifyBlob(bytes, digest, what);
    const document = parseManifestDocument(bytes, undefined);
    return { digest: sha256Digest(bytes), mediaType: document.mediaType, size: bytes.byteLength, bytes, document };
  }

  async fetchBlob(_repository: string, descriptor: Pick<OciDescriptor, 'digest' | 'size'>, opts: FetchOptions = {}): Promise<Uint8Array> {
    const what = `blob ${descriptor.digest} in ${this.dir}`;
    const limit = Math.min(opts.maxBytes ?? this.limits.blobBytes, this.limits.blobBytes);
    if (descriptor.size > limit) throw new RegistryError('SIZE_LIMIT_EXCEEDED', `${what} is ${descriptor.size} bytes; the limit is ${limit}`);
    const bytes = await this.#readBlobFile(descriptor.digest, descriptor.size, what, 'BLOB_UNKNOWN');
    // a file that is not this blob is not described: neither its size nor its hash is echoed
    if (bytes.byteLength !== descriptor.size) throw new RegistryError('DIGEST_MISMATCH', `${what} does not match its descriptor (size ${descriptor.size}); the layout is corrupt — nothing from it is used`);
    verifyBlob(bytes, descriptor.digest, what);
    return bytes;
  }

  async listReferrers(_repository: string, digest: string, opts: FetchOptions & { artifactType?: string } = {}): Promise<ReferrersList> {
    assertDigest(digest, `referrers of ${digest}`);
    const scan = await this.#scanManifests(opts);
    const descriptors: OciDescriptor[] = [];
    for (const m of scan.values()) {
      if (m.subject !== digest) continue;
      if (opts.artifactType !== undefined && m.artifactType !== opts.artifactType) continue;
      const d: OciDescriptor = { ...m.descriptor };
      if (m.artifactType !== undefined) d.artifactType = m.artifactType;
      if (m.annotations !== undefined) d.annotations = m.annotations;
      descriptors.push(d);
    }
    return { descriptors, filtersApplied: opts.artifactType !== undefined ? ['artifactType'] : [] };
  }

  async listTags(): Promise<string[]> {
    const index = await this.readIndex();
    return index.manifests.map((m) => m.annotations?.[ANNOTATIONS.refName]).filter((t): t is string => t !== undefined);
  }

  /** Every manifest reachable from index.json (through nested indexes), with its subject; cached until index.json changes. */
  async #scanManifests(opts: FetchOptions): Promise<Map<string, { descriptor: OciDescriptor; subject?: string; artifactType?: string; annotations?: Record<string, string> }>> {
    const st = await lstat(join(this.dir, 'index.json')).catch((cause: unknown) => {
      throw new RegistryError('LAYOUT_INVALID', `${this.dir}/index.json is missing`, { cause });
    });
    if (this.#scan && this.#scan.mtimeMs === st.mtimeMs) return this.#scan.manifests;
    const manifests = new Map<string, { descriptor: OciDescriptor; subject?: string; artifactType?: string; annotations?: Record<string, string> }>();
    const queue: OciDescriptor[] = [...(await this.readIndex()).manifests];
    const seen = new Set<string>();
    while (queue.length > 0 && seen.size < MAX_SCAN) {
      const d = queue.shift();
      if (!d || seen.has(d.digest)) continue;
      seen.add(d.digest);
      if (!MANIFEST_MEDIA_TYPES.includes(d.mediaType) && !INDEX_MEDIA_TYPES.includes(d.mediaType)) continue;
      let fetched: FetchedManifest;
      try {
        fetched = await this.fetchManifest('', d.digest, opts);
      } catch {
        continue; // a dangling entry does not hide the others; fetching it by digest reports the error
      }
      const doc = fetched.document;
      if (doc.kind === 'index') queue.push(...doc.manifests);
      const entry: { descriptor: OciDescriptor; subject?: string; artifactType?: string; annotations?: Record<string, string> } = {
        descriptor: { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.size },
      };
      if (doc.subject) entry.subject = doc.subject.digest;
      const artifactType = doc.artifactType ?? (doc.kind === 'manifest' ? doc.config.mediaType : undefined);
      if (artifactType !== undefined) entry.artifactType = artifactType;
      if (doc.annotations) entry.annotations = doc.annotations;
      manifests.set(fetched.digest, entry);
    }
    this.#scan = { mtimeMs: st.mtimeMs, manifests };
    return manifests;
  }

  async #readBlobFile(digest: string, limit: number, what: string, missing: 'MANIFEST_UNKNOWN' | 'BLOB_UNKNOWN'): Promise<Uint8Array> {
    assertDigest(digest, what);
    // O_NOFOLLOW guards the last component only: blobs/ and blobs/sha256/ must be real directories too
    for (const d of [join(this.dir, 'blobs'), join(this.dir, 'blobs', 'sha256')]) {
      const st = await lstat(d).catch(() => undefined);
      if (st !== undefined && !st.isDirectory()) {
        throw new RegistryError('LAYOUT_INVALID', `${what}: ${d} is not a directory (a symbolic link or another file); a layout's blobs must be plain files in plain directories`, { details: { dir: this.dir } });
      }
    }
    const path = join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
    try {
      return await this.#readBounded(path, limit, what);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RegistryError(missing, `${what} does not exist`, { details: { dir: this.dir, digest } });
      throw err;
    }
  }

  /**
   * Reads at most `limit` bytes of a regular file. No symbolic link is followed (O_NOFOLLOW), nothing blocks
   * (O_NONBLOCK: a FIFO or device is refused, not waited on), and neither the size nor the content of a file that
   * is refused is reported.
   */
  async #readBounded(path: string, limit: number, what: string): Promise<Uint8Array> {
    let fh;
    try {
      fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'EMLINK') {
        throw new RegistryError('LAYOUT_INVALID', `${what} is a symbolic link; wasmgate reads only regular files inside a layout`, { cause, details: { dir: this.dir } });
      }
      throw cause;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new RegistryError('LAYOUT_INVALID', `${what} is not a regular file (a FIFO, device, socket or directory); wasmgate reads only regular files inside a layout`, { details: { dir: this.dir } });
      if (st.size > limit) throw new RegistryError('SIZE_LIMIT_EXCEEDED', `${what} is larger than the ${limit}-byte limit`, { details: { limit } });
      // bounded by the limit, not by what stat said: a file that grows while read is cut at limit + 1 and refused
      const buf = Buffer.alloc(Math.min(st.size, limit) + 1);
      let off = 0;
      while (off < buf.byteLength) {
        const { bytesRead } = await fh.read(buf, off, buf.byteLength - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      if (off > limit) throw new RegistryError('SIZE_LIMIT_EXCEEDED', `${what} is larger than the ${limit}-byte limit`, { details: { limit } });
      return new Uint8Array(buf.buffer, buf.byteOffset, off);
    } finally {
      await fh.close();
    }
  }
}

/** sha256 check of a layout file, without echoing what the file hashes to (it may be any file on the host). */
function verifyBlob(bytes: Uint8Array, expected: string, what: string): void {
  if (sha256Digest(bytes) !== expected) {
    throw new RegistryError('DIGEST_MISMATCH', `${what}: the file's content is not ${expected}; the layout is corrupt — nothing from it is used`, { details: { expected } });
  }
}
