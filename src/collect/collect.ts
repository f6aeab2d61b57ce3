import { WasmgateError } from '../common/error.ts';
import type { Logger } from '../common/logger.ts';
import { createSilentLogger } from '../common/logger.ts';
import { parseReference, repositoryName, type ModuleReference } from '../resolve/reference.ts';
import { RegistryClient, type RegistryClientOptions } from '../registry/client.ts';
import { RegistryError, type RegistryErrorCode } from '../registry/error.ts';
import { abortError } from '../registry/transport.ts';
import { ContentCache, withContentCache, type ContentCacheOptions } from './cache.ts';
import { classifyLayer } from './classify.ts';
import { listLegacyCandidates, listReferrerCandidates, orderCandidates, type Candidate, type Warning } from './discover.ts';
import { OciLayoutStore } from './layout-store.ts';
import { LayoutStores } from './layout-roots.ts';
import type { ArtifactStore, FetchedManifest, FetchOptions } from '../oci/store.ts';
import { selectManifest, toModuleTarget } from './target.ts';
import type { CollectedEvidence, ModuleTarget, OciDescriptor, RawEvidence } from '../oci/types.ts';

export interface CollectLimits {
  /** referrer manifests examined per subject digest, newest first; default 64 */
  maxReferrers: number;
  /** one evidence payload (bundle, envelope, simple-signing blob); larger ones become warnings; default 16 MiB */
  maxEvidenceBytes: number;
  /** whole collection, ms; default 15 000 */
  deadlineMs: number;
  /** concurrent fetches per collection; default 8 */
  concurrency: number;
}

export const DEFAULT_COLLECT_LIMITS: Readonly<CollectLimits> = Object.freeze({
  maxReferrers: 64,
  maxEvidenceBytes: 16 * 1024 * 1024,
  deadlineMs: 15_000,
  concurrency: 8,
});

export interface CollectorOptions {
  /** read every reference from this store (a layout store, a fake, a pre-built client); not closed by the collector */
  store?: ArtifactStore;
  /** the registry store: a ready client (shared connections and token cache) or options to build one */
  registry?: ArtifactStore | RegistryClientOptions;
  /** content cache shared by every collection; `false` disables it; default a 64 MiB memory cache */
  cache?: ContentCache | ContentCacheOptions | false;
  limits?: Partial<CollectLimits>;
  /** ask the referrers API for this artifactType only (client-side filter when the registry does not apply it) */
  artifactType?: string;
  /** extra repositories holding signatures for a repository (cosign's COSIGN_REPOSITORY), by `registry/repo` */
  signatureRepositories?: Record<string, readonly string[]>;
  /** look for cosign's legacy `.sig`/`.att`/`.sbom` tags; default true */
  legacyTags?: boolean;
  /** how long a registry tag's resolution (`resolve`) is reused, ms; default 0 (every call asks the registry) */
  tagTtlMs?: number;
  /** the clock for tagTtlMs; default Date.now */
  now?: () => number;
  /**
   * Directories `oci:` layouts may be read from (absolute; `registries.layouts`): a layout is resolved with
   * realpath (symlinks followed) and refused with LAYOUT_NOT_ALLOWED unless it lies under one of them.
   * Undefined: any directory (the CLI, where the user names the path).
   */
  layoutRoots?: readonly string[];
  logger?: Logger;
}

export interface CollectCallOptions {
  signal?: AbortSignal;
  /** overrides limits.deadlineMs for this call */
  deadlineMs?: number;
}

/** A reference pinned to the digest its tag points at now. */
export interface ResolvedReference {
  /** `registry/repo@sha256:…` or `oci:<dir>@sha256:…`: collecting it decides exactly this digest */
  pinned: string;
  repository: string;
  /** the manifest (or index) digest the tag resolved to */
  digest: string;
}

/** Collection with shared stores and cache: build once, call `collect` per module. */
export interface Collector {
  collect(ref: string, opts?: CollectCallOptions): Promise<CollectedEvidence>;
  /**
   * Resolves a tag (or a layout's default entry) to the digest it points at now, without collecting anything: a
   * registry `HEAD` (reused for tagTtlMs), a layout's index.json (re-read when it changed). Null for a ref already
   * pinned by digest. Throws what collecting would (bad reference, host not allowed, unknown tag, unreachable).
   */
  resolve?(ref: string, opts?: CollectCallOptions): Promise<ResolvedReference | null>;
  /** Fetches a blob of a collected module (the wasm layer, say) by digest, from the module's store, size-bounded and digest-checked. */
  fetchBlob(target: Pick<ModuleTarget, 'repository'>, descriptor: Pick<OciDescriptor, 'digest' | 'size'>, opts?: FetchOptions): Promise<Uint8Array>;
  /** The store a repository (`registry/repo` or `oci:<dir>`) is read from. */
  storeFor(repository: string): ArtifactStore;
  close(): Promise<void>;
}

export function createCollector(options: CollectorOptions = {}): Collector {
  const limits: CollectLimits = { ...DEFAULT_COLLECT_LIMITS, ...options.limits };
  const log = options.logger ?? createSilentLogger();
  const cache = options.cache === false ? undefined : options.cache instanceof ContentCache ? options.cache : new ContentCache(options.cache ?? {});
  const ownsRegistry = options.registry === undefined || !isStore(options.registry);
  const registryRaw: ArtifactStore = options.registry !== undefined && isStore(options.registry)
    ? options.registry
    : new RegistryClient({ ...(options.registry ?? {}), ...(options.logger ? { logger: options.logger } : {}) });
  const registry = cache ? withContentCache(registryRaw, cache) : registryRaw;
  const layouts = new LayoutStores((dir) => {
    const raw = new OciLayoutStore(dir);
    return cache ? withContentCache(raw, cache) : raw;
  }, options.layoutRoots);

  const fixed = options.store ? (cache ? withContentCache(options.store, cache) : options.store) : undefined;

  function storeFor(repository: string): ArtifactStore {
    if (fixed) return fixed;
    if (!repository.startsWith('oci:')) return registry;
    return layouts.forSpellingSync(repository.slice('oci:'.length));
  }

  async function resolveStore(parsed: ModuleReference): Promise<ArtifactStore> {
    if (fixed) return fixed;
    if (parsed.kind !== 'oci-layout') return registry;
    return layouts.forSpelling(parsed.dir);
  }

  const tagTtlMs = options.tagTtlMs ?? 0;
  const now = options.now ?? Date.now;
  const tagCache = new Map<string, { digest: string; expires: number }>();
  const tagInflight = new Map<string, Promise<string>>();
  const MAX_TAGS = 10_000;

  /**
   * One registry lookup per tag at a time: concurrent asks for a tag share the HEAD in flight (as concurrent asks
   * share one decision), and with tagTtlMs a resolution is reused until it expires.
   */
  function resolveRegistryTag(store: ArtifactStore, repository: string, tag: string, fetchOpts: FetchOptions): Promise<string> {
    const key = `${repository}:${tag}`;
    if (tagTtlMs > 0) {
      const hit = tagCache.get(key);
      if (hit !== undefined && hit.expires > now()) return Promise.resolve(hit.digest);
    }
    let p = tagInflight.get(key);
    if (p === undefined) {
      p = lookupTag(store, repository, tag, fetchOpts).then((digest) => {
        if (tagTtlMs > 0) {
          tagCache.delete(key);
          tagCache.set(key, { digest, expires: now() + tagTtlMs });
          if (tagCache.size > MAX_TAGS) tagCache.delete(tagCache.keys().next().value as string);
        }
        return digest;
      });
      const settled = p;
      tagInflight.set(key, settled);
      const done = (): void => {
        if (tagInflight.get(key) === settled) tagInflight.delete(key);
      };
      settled.then(done, done);
    }
    return p;
  }

  return {
    storeFor,
    async resolve(ref, callOpts = {}) {
      const parsed = parseReference(ref);
      if (parsed.digest !== undefined) return null;
      const repository = repositoryName(parsed);
      const store = storeFor(repository);
      let digest: string;
      if (store.kind !== 'registry') {
        // a local layout: index.json (re-read only when it changed), no network, no deadline machinery
        if (parsed.tag !== undefined) digest = await lookupTag(store, repository, parsed.tag, {});
        else if (store.defaultReference) digest = await store.defaultReference();
        else return null;
      } else {
        if (parsed.tag === undefined) return null;
        const deadlineMs = callOpts.deadlineMs ?? limits.deadlineMs;
        const timeout = AbortSignal.timeout(deadlineMs);
        const signal = callOpts.signal ? AbortSignal.any([callOpts.signal, timeout]) : timeout;
        // the shared lookup is not cancelled by one caller: each caller stops waiting at its own deadline
        digest = await raceSignal(resolveRegistryTag(store, repository, parsed.tag, { deadlineAt: Date.now() + deadlineMs }), signal, `resolving ${ref}`);
      }
      return { pinned: `${repository}@${digest}`, repository, digest };
    },
    async collect(ref, callOpts = {}) {
      const parsed = parseReference(ref);
      const deadlineMs = callOpts.deadlineMs ?? limits.deadlineMs;
      const timeout = AbortSignal.timeout(deadlineMs);
      const signal = callOpts.signal ? AbortSignal.any([callOpts.signal, timeout]) : timeout;
      const run = resolveStore(parsed).then((store) => collectWith(store, parsed, {
        signal,
        deadlineAt: Date.now() + deadlineMs,
        limits,
        artifactType: options.artifactType,
        extraRepositories: options.signatureRepositories?.[repositoryName(parsed)] ?? [],
        legacyTags: options.legacyTags ?? true,
        log,
      }));
      return raceSignal(run, signal, `collecting evidence for ${ref}`);
    },
    async fetchBlob(target, descriptor, opts = {}) {
      return storeFor(target.repository).fetchBlob(target.repository, descriptor, opts);
    },
    async close() {
      if (ownsRegistry) await registryRaw.close();
    },
  };
}

/**
 * One-shot collection: `wasmgate evidence`, tests. With `store`, every reference is read from it; otherwise the
 * store follows the reference (registry client for `registry/repo…`, layout store for `oci:<dir>…`).
 */
export async function collectEvidence(ref: string, opts: CollectorOptions & CollectCallOptions = {}): Promise<CollectedEvidence> {
  const { signal, deadlineMs, ...rest } = opts;
  const collector = createCollector(rest);
  try {
    return await collector.collect(ref, { ...(signal ? { signal } : {}), ...(deadlineMs !== undefined ? { deadlineMs } : {}) });
  } finally {
    await collector.close();
  }
}

interface RunOptions {
  signal: AbortSignal;
  deadlineAt: number;
  limits: CollectLimits;
  artifactType: string | undefined;
  extraRepositories: readonly string[];
  legacyTags: boolean;
  log: Logger;
}

/** Fatal for the whole collection; anything else about one candidate becomes a warning. */
const FATAL: ReadonlySet<string> = new Set<RegistryErrorCode>([
  'REGISTRY_UNREACHABLE', 'REGISTRY_UNAUTHORIZED', 'DIGEST_MISMATCH', 'DEADLINE_EXCEEDED', 'ABORTED', 'HOST_NOT_ALLOWED', 'REGISTRY_REDIRECT_REFUSED', 'REGISTRY_REALM_REFUSED',
]);

async function collectWith(store: ArtifactStore, ref: ModuleReference, run: RunOptions): Promise<CollectedEvidence> {
  const repository = repositoryName(ref);
  const fetchOpts: FetchOptions = { signal: run.signal, deadlineAt: run.deadlineAt };
  let reference = ref.digest ?? ref.tag;
  if (reference === undefined) {
    if (!store.defaultReference) throw new RegistryError('MANIFEST_UNKNOWN', `${repository}: no tag or digest given and the store cannot pick a default; name one`);
    reference = await store.defaultReference();
  }
  const top = await store.fetchManifest(repository, reference, fetchOpts);
  let manifest: FetchedManifest = top;
  let index: FetchedManifest | undefined;
  if (top.document.kind === 'index') {
    index = top;
    const chosen = selectManifest(top.document, `${repository}@${top.digest}`);
    manifest = await store.fetchManifest(repository, chosen.digest, fetchOpts);
  }
  const module = toModuleTarget(ref.original, repository, manifest, index);
  const warnings: Warning[] = [];
  const subjects = index ? [module.digest, index.digest] : [module.digest];
  const repositories = [repository, ...run.extraRepositories];

  // 1. list candidates for every (repository, subject)
  const lists = await Promise.all(repositories.flatMap((repo) => subjects.map(async (subject) => {
    const referrers = await listReferrerCandidates(store, repo, subject, { ...fetchOpts, ...(run.artifactType ? { artifactType: run.artifactType } : {}) }, warnings);
    const legacy = run.legacyTags ? await listLegacyCandidates(store, repo, subject, fetchOpts, warnings) : [];
    return { repo, referrers, legacy };
  })));

  // 2. bound and order referrers per subject, newest first
  const work: Array<{ repo: string; candidate: Candidate }> = [];
  for (const { repo, referrers, legacy } of lists) {
    const ordered = orderCandidates(referrers);
    if (ordered.length > run.limits.maxReferrers) {
      warnings.push({ code: 'REFERRERS_TRUNCATED', message: `${repo} lists ${ordered.length} referrers for ${ordered[0]?.attachedTo}; only the newest ${run.limits.maxReferrers} were examined (raise maxReferrers to see more)` });
    }
    for (const candidate of ordered.slice(0, run.limits.maxReferrers)) work.push({ repo, candidate });
    for (const candidate of legacy) work.push({ repo, candidate });
  }

  // 3. fetch each candidate's manifest and evidence layers, a few at a time
  const seenManifests = new Set<string>();
  const results = await mapLimit(work, run.limits.concurrency, async ({ repo, candidate }) => {
    try {
      return await examine(store, repo, candidate, run, fetchOpts, warnings, seenManifests);
    } catch (err) {
      if (WasmgateError.isWasmgateError(err) && !FATAL.has(err.code)) {
        warnings.push({ code: err.code, message: `skipped candidate ${candidate.descriptor?.digest ?? candidate.tag ?? ''}: ${err.message}` });
        return [];
      }
      throw err;
    }
  });
  const evidence = results.flat();
  run.log.debug({ repository, digest: module.digest, evidence: evidence.length, warnings: warnings.length }, 'evidence collected');
  return { module, evidence, warnings };
}

async function examine(store: ArtifactStore, repo: string, candidate: Candidate, run: RunOptions, fetchOpts: FetchOptions, warnings: Warning[], seen: Set<string>): Promise<RawEvidence[]> {
  const fetched = candidate.manifest ?? (candidate.descriptor ? await store.fetchManifest(repo, candidate.descriptor.digest, fetchOpts) : undefined);
  if (!fetched) return [];
  const dedupeKey = `${candidate.attachedTo}\n${fetched.digest}`;
  if (seen.has(dedupeKey)) return [];
  seen.add(dedupeKey);
  const doc = fetched.document;
  const where = candidate.tag ? `${repo}:${candidate.tag}` : `${repo}@${fetched.digest}`;
  if (doc.kind !== 'manifest') {
    warnings.push({ code: 'REFERRER_IGNORED', message: `${where} is an image index, not an evidence manifest; ignored` });
    return [];
  }
  if (candidate.discoveredVia !== 'cosign-legacy-tag') {
    // registries can lie: a referrer must name this module as its subject
    if (doc.subject?.digest !== candidate.attachedTo) {
      warnings.push({ code: 'SUBJECT_MISMATCH', message: `${where} was listed as a referrer of ${candidate.attachedTo} but its subject is ${doc.subject?.digest ?? 'absent'}; ignored` });
      return [];
    }
  }
  const artifactType = doc.artifactType ?? doc.config.mediaType;
  if (run.artifactType !== undefined && candidate.discoveredVia !== 'cosign-legacy-tag' && artifactType !== run.artifactType) return [];
  const layers = doc.layers.map((layer) => ({ layer, kind: classifyLayer(layer.mediaType) }));
  if (!layers.some((l) => l.kind !== undefined)) {
    warnings.push({ code: 'REFERRER_IGNORED', message: `${where} (artifactType ${artifactType}) carries no signature or attestation layer; unsigned artifacts are not evidence` });
    return [];
  }
  const out: RawEvidence[] = [];
  for (const { layer, kind } of layers) {
    if (kind === undefined) continue;
    if (layer.size > run.limits.maxEvidenceBytes) {
      warnings.push({ code: 'SIZE_LIMIT_EXCEEDED', message: `${where}: evidence layer ${layer.digest} is ${layer.size} bytes, over the ${run.limits.maxEvidenceBytes}-byte limit; ignored` });
      continue;
    }
    const payload = await store.fetchBlob(repo, layer, { ...fetchOpts, maxBytes: run.limits.maxEvidenceBytes });
    const ev: RawEvidence = {
      kind,
      manifestDigest: fetched.digest,
      attachedTo: candidate.attachedTo,
      discoveredVia: candidate.discoveredVia,
      layer,
      payload,
    };
    if (doc.artifactType !== undefined) ev.artifactType = doc.artifactType;
    if (doc.annotations !== undefined) ev.annotations = doc.annotations;
    out.push(ev);
  }
  return out;
}

/** A tag's digest from the store: its own cheap lookup when it has one, else the manifest fetched by tag. */
async function lookupTag(store: ArtifactStore, repository: string, tag: string, fetchOpts: FetchOptions): Promise<string> {
  if (store.resolveTag) return store.resolveTag(repository, tag, fetchOpts);
  return (await store.fetchManifest(repository, tag, fetchOpts)).digest;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Settles no later than the signal: a store that ignores the signal cannot hold collection past its deadline. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

function isStore(v: ArtifactStore | RegistryClientOptions): v is ArtifactStore {
  return typeof (v as ArtifactStore).fetchManifest === 'function';
}
