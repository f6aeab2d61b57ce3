import type { Logger } from '../common/logger.ts';
import { createSilentLogger } from '../common/logger.ts';
import type { ArtifactStore, FetchedManifest, FetchOptions, ReferrersList, StoreLimits } from '../oci/store.ts';
import { DEFAULT_STORE_LIMITS } from '../oci/store.ts';
import type { OciDescriptor } from '../oci/types.ts';
import { isDigest } from '../resolve/grammar.ts';
import { registryApiHost } from '../resolve/reference.ts';
import { Authenticator } from './auth.ts';
import { INDEX_ACCEPT, MANIFEST_ACCEPT } from '../oci/media-types.ts';
import { HEADERS } from './constants.ts';
import { createDockerConfigCredentials, type CredentialProvider } from './credentials.ts';
import { assertDigest, sha256Digest, verifyDigest } from './digest.ts';
import { RegistryError } from './error.ts';
import { assertHostAllowed, assertRealmAllowed, assertRedirectAllowed, schemeFor, type HostPolicy } from './hosts.ts';
import { parseManifestDocument } from './manifest.ts';
import { registryErrorText, Transport, type HttpResponse, type TransportOptions } from './transport.ts';

export interface RegistryClientOptions extends TransportOptions, HostPolicy {
  /** where credentials come from; default Docker's config.json ($DOCKER_CONFIG or ~/.docker) */
  credentials?: CredentialProvider;
  /** size bounds; unspecified fields keep DEFAULT_STORE_LIMITS */
  limits?: Partial<StoreLimits>;
  /** token-service hosts credentials may go to besides the registry's own host (`registries.token_realms`) */
  tokenRealmHosts?: readonly string[];
  /** hosts redirects may lead to besides the registry's origin (`registries.redirect_hosts`) */
  redirectHosts?: readonly string[];
  logger?: Logger;
  /** called once per registry API request (auth rounds and redirects included), e.g. to feed a latency histogram */
  observe?: (sample: RegistryRequestSample) => void;
}

/** One registry API request: `operation` is manifest | blob | referrers | tags; `outcome` error on a throw or HTTP ≥ 400. */
export interface RegistryRequestSample {
  host: string;
  operation: 'manifest' | 'blob' | 'referrers' | 'tags';
  outcome: 'ok' | 'error';
  seconds: number;
}

const OPERATION_OF: Readonly<Record<string, RegistryRequestSample['operation']>> = { manifests: 'manifest', blobs: 'blob', referrers: 'referrers', tags: 'tags' };

const MAX_REDIRECTS = 5;
const MAX_REFERRER_PAGES = 10;
const MAX_TAG_PAGES = 20;

/**
 * The OCI Distribution client: manifests, blobs, referrers and tags from any number of registries, with
 * digest checks on every byte, size bounds, timeouts, retries, auth challenges and the host allow-list.
 * `repository` is `registry/path` (Docker Hub as `docker.io/library/x`).
 */
export class RegistryClient implements ArtifactStore {
  readonly kind = 'registry' as const;
  readonly id = 'registry';
  readonly limits: Readonly<StoreLimits>;
  readonly #policy: HostPolicy;
  readonly #redirectHosts: readonly string[];
  readonly #transport: Transport;
  readonly #auth: Authenticator;
  readonly #log: Logger;
  readonly #observe: ((sample: RegistryRequestSample) => void) | undefined;

  constructor(options: RegistryClientOptions = {}) {
    this.#observe = options.observe;
    this.#policy = { ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}), ...(options.insecureHosts ? { insecureHosts: options.insecureHosts } : {}) };
    this.limits = Object.freeze({ ...DEFAULT_STORE_LIMITS, ...options.limits });
    this.#transport = new Transport(options);
    this.#log = options.logger ?? createSilentLogger();
    this.#redirectHosts = options.redirectHosts ?? [];
    const realmHosts = options.tokenRealmHosts ?? [];
    this.#auth = new Authenticator({
      credentials: options.credentials ?? createDockerConfigCredentials(),
      transport: this.#transport,
      checkRealm: (url, host) => assertRealmAllowed(url, registryApiHost(host), realmHosts, this.#policy),
    });
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }

  async fetchManifest(repository: string, reference: string, opts: FetchOptions = {}): Promise<FetchedManifest> {
    const byDigest = isDigest(reference);
    if (!byDigest && reference.startsWith('sha256:')) assertDigest(reference, `manifest ${repository}@${reference}`);
    const what = `manifest ${repository}${byDigest ? '@' : ':'}${reference}`;
    const maxBytes = Math.min(opts.maxBytes ?? this.limits.manifestBytes, this.limits.manifestBytes);
    const res = await this.#get(repository, `manifests/${reference}`, { accept: MANIFEST_ACCEPT, maxBytes, what, opts });
    if (res.status === 404) {
      throw new RegistryError('MANIFEST_UNKNOWN', `${what} does not exist${registryErrorText(res.body)}; check the repository and tag/digest`, { details: { repository, reference } });
    }
    expectOk(res, what);
    const digest = sha256Digest(res.body);
    if (byDigest) verifyDigest(res.body, reference, what);
    const announced = res.headers[HEADERS.dockerContentDigest];
    if (announced !== undefined && announced.startsWith('sha256:') && announced !== digest) {
      throw new RegistryError('DIGEST_MISMATCH', `${what}: the registry says Docker-Content-Digest ${announced} but the bytes hash to ${digest}`, { details: { expected: announced, actual: digest } });
    }
    const document = parseManifestDocument(res.body, res.headers[HEADERS.contentType]);
    return { digest, mediaType: document.mediaType, size: res.body.byteLength, bytes: res.body, document };
  }

  /**
   * The digest a tag points at, with one `HEAD` of the manifest (Docker-Content-Digest); a registry that does not
   * announce a sha256 digest on HEAD is asked with a GET and the bytes are hashed.
   */
  async resolveTag(repository: string, tag: string, opts: FetchOptions = {}): Promise<string> {
    const what = `manifest ${repository}:${tag}`;
    const res = await this.#get(repository, `manifests/${tag}`, { accept: MANIFEST_ACCEPT, maxBytes: 0, what, opts, method: 'HEAD' });
    if (res.status === 404) {
      throw new RegistryError('MANIFEST_UNKNOWN', `${what} does not exist; check the repository and tag`, { details: { repository, reference: tag } });
    }
    expectOk(res, what);
    const announced = res.headers[HEADERS.dockerContentDigest];
    if (announced !== undefined && isDigest(announced) && announced.startsWith('sha256:')) return announced;
    return (await this.fetchManifest(repository, tag, opts)).digest;
  }

  async fetchBlob(repository: string, descriptor: Pick<OciDescriptor, 'digest' | 'size'>, opts: FetchOptions = {}): Promise<Uint8Array> {
    const what = `blob ${repository}@${descriptor.digest}`;
    assertDigest(descriptor.digest, what);
    const limit = Math.min(opts.maxBytes ?? this.limits.blobBytes, this.limits.blobBytes);
    if (descriptor.size > limit) {
      throw new RegistryError('SIZE_LIMIT_EXCEEDED', `${what} is ${descriptor.size} bytes; the limit is ${limit}`, { details: { size: descriptor.size, limit } });
    }
    const res = await this.#get(repository, `blobs/${descriptor.digest}`, { accept: '*/*', maxBytes: descriptor.size, what, opts });
    if (res.status === 404) throw new RegistryError('BLOB_UNKNOWN', `${what} does not exist${registryErrorText(res.body)}`, { details: { repository, digest: descriptor.digest } });
    expectOk(res, what);
    if (res.body.byteLength !== descriptor.size) {
      throw new RegistryError('DIGEST_MISMATCH', `${what} is ${res.body.byteLength} bytes but its descriptor says ${descriptor.size}`, { details: { expected: descriptor.size, actual: res.body.byteLength } });
    }
    verifyDigest(res.body, descriptor.digest, what);
    return res.body;
  }

  async listReferrers(repository: string, digest: string, opts: FetchOptions & { artifactType?: string } = {}): Promise<ReferrersList | undefined> {
    const what = `referrers of ${repository}@${digest}`;
    assertDigest(digest, what);
    let path = `referrers/${digest}${opts.artifactType ? `?artifactType=${encodeURIComponent(opts.artifactType)}` : ''}`;
    const descriptors: OciDescriptor[] = [];
    let filtersApplied: string[] = [];
    for (let page = 0; page < MAX_REFERRER_PAGES; page++) {
      const res = await this.#get(repository, path, { accept: INDEX_ACCEPT, maxBytes: this.limits.referrersBytes, what, opts });
      if (page === 0 && (res.status === 404 || res.status === 400 || res.status === 405)) return undefined;
      expectOk(res, what);
      const doc = parseManifestDocument(res.body, res.headers[HEADERS.contentType]);
      if (doc.kind !== 'index') throw new RegistryError('REGISTRY_PROTOCOL_ERROR', `${what}: the registry answered with a ${doc.mediaType}, not an image index`);
      descriptors.push(...doc.manifests);
      if (descriptors.length > 10_000) throw new RegistryError('SIZE_LIMIT_EXCEEDED', `${what}: more than 10000 referrers`);
      if (page === 0) filtersApplied = (res.headers[HEADERS.ociFiltersApplied] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const next = nextLink(res.headers[HEADERS.link], res.url);
      if (!next) break;
      if (next.host !== res.url.host) throw new RegistryError('REGISTRY_PROTOCOL_ERROR', `${what}: pagination link leaves the registry (${next.host})`);
      path = `${next.pathname.replace(/^.*?\/v2\/.+?\/(referrers\/)/, '$1')}${next.search}`;
    }
    return { descriptors, filtersApplied };
  }

  async listTags(repository: string, opts: FetchOptions = {}): Promise<string[]> {
    const what = `tags of ${repository}`;
    const tags: string[] = [];
    let path = 'tags/list';
    for (let page = 0; page < MAX_TAG_PAGES; page++) {
      const res = await this.#get(repository, path, { accept: 'application/json', maxBytes: this.limits.referrersBytes, what, opts });
      if (res.status === 404) throw new RegistryError('MANIFEST_UNKNOWN', `repository ${repository} does not exist${registryErrorText(res.body)}`);
      expectOk(res, what);
      let body: { tags?: unknown };
      try {
        body = JSON.parse(Buffer.from(res.body).toString('utf8')) as { tags?: unknown };
      } catch (cause) {
        throw new RegistryError('REGISTRY_PROTOCOL_ERROR', `${what}: not JSON`, { cause });
      }
      if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === 'string'));
      const next = nextLink(res.headers[HEADERS.link], res.url);
      if (!next) break;
      path = `tags/list${next.search}`;
    }
    return tags;
  }

  /** #send, timed for `observe`. */
  async #get(repository: string, path: string, req: { accept: string; maxBytes: number; what: string; opts: FetchOptions; method?: 'GET' | 'HEAD' }): Promise<HttpResponse> {
    const observe = this.#observe;
    if (observe === undefined) return this.#send(repository, path, req);
    const started = process.hrtime.bigint();
    const sample = (outcome: 'ok' | 'error'): void => {
      try {
        const host = repository.slice(0, Math.max(0, repository.indexOf('/')));
        observe({ host, operation: OPERATION_OF[path.slice(0, path.indexOf('/'))] ?? 'manifest', outcome, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
      } catch {
        // metrics never fail a request
      }
    };
    try {
      const res = await this.#send(repository, path, req);
      sample(res.status >= 400 ? 'error' : 'ok');
      return res;
    } catch (err) {
      sample('error');
      throw err;
    }
  }

  /** GET /v2/<name>/<path> with auth (one challenge round) and manual redirects. */
  async #send(repository: string, path: string, req: { accept: string; maxBytes: number; what: string; opts: FetchOptions; method?: 'GET' | 'HEAD' }): Promise<HttpResponse> {
    const { host, name } = splitRepository(repository);
    assertHostAllowed(host, this.#policy);
    const apiHost = registryApiHost(host);
    const url = new URL(`${schemeFor(apiHost, this.#policy)}://${apiHost}/v2/${name}/${path}`);
    const send = { signal: req.opts.signal, deadlineAt: req.opts.deadlineAt, maxBytes: req.maxBytes, what: req.what, ...(req.method ? { method: req.method } : {}) };
    let authorization = await this.#auth.cachedHeader(host, name);
    for (let round = 0; ; round++) {
      const res = await this.#followRedirects(url, req.accept, authorization, send);
      if (res.status === 401 && round < 2) {
        const stale = authorization;
        authorization = await this.#auth.answer(host, name, res.headers[HEADERS.wwwAuthenticate], { ...req.opts, ...(stale ? { staleHeader: stale } : {}) });
        if (authorization === stale) break;
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError('REGISTRY_UNAUTHORIZED', `registry ${host} refused access to ${name} (HTTP ${res.status}${registryErrorText(res.body)}) while fetching ${req.what}; check the credentials for ${host}`, {
          details: { host, status: res.status },
        });
      }
      this.#log.debug({ host, path, status: res.status }, 'registry response');
      return res;
    }
    throw new RegistryError('REGISTRY_UNAUTHORIZED', `registry ${host} refused access to ${name} while fetching ${req.what}`, { details: { host } });
  }

  async #followRedirects(start: URL, accept: string, authorization: string | undefined, send: { signal?: AbortSignal | undefined; deadlineAt?: number | undefined; maxBytes: number; what: string; method?: 'GET' | 'HEAD' }): Promise<HttpResponse> {
    let url = start;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { [HEADERS.accept]: accept };
      // credentials never leave the registry's origin
      if (authorization && url.origin === start.origin) headers[HEADERS.authorization] = authorization;
      const res = await this.#transport.send(url, { ...clean(send), headers });
      if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
      const location = res.headers[HEADERS.location];
      if (!location) return res;
      let next: URL;
      try {
        next = new URL(location, url);
      } catch (cause) {
        throw new RegistryError('REGISTRY_REDIRECT_REFUSED', `${send.what}: ${url.host} redirected to a Location that is not a URL; not followed`, { cause, details: { host: url.host } });
      }
      assertRedirectAllowed(next, start, this.#redirectHosts, this.#policy);
      url = next;
    }
    throw new RegistryError('REGISTRY_PROTOCOL_ERROR', `${send.what}: more than ${MAX_REDIRECTS} redirects`);
  }
}

function clean(send: { signal?: AbortSignal | undefined; deadlineAt?: number | undefined; maxBytes: number; what: string; method?: 'GET' | 'HEAD' }): { signal?: AbortSignal; deadlineAt?: number; maxBytes: number; what: string; method?: 'GET' | 'HEAD' } {
  const out: { signal?: AbortSignal; deadlineAt?: number; maxBytes: number; what: string; method?: 'GET' | 'HEAD' } = { maxBytes: send.maxBytes, what: send.what };
  if (send.method) out.method = send.method;
  if (send.signal) out.signal = send.signal;
  if (send.deadlineAt !== undefined) out.deadlineAt = send.deadlineAt;
  return out;
}

/** `registry/path` → host and repository path. */
export function splitRepository(repository: string): { host: string; name: string } {
  const slash = repository.indexOf('/');
  if (slash <= 0 || slash === repository.length - 1) {
    throw new RegistryError('REGISTRY_PROTOCOL_ERROR', `repository ${JSON.stringify(repository)} must be registry/path`);
  }
  return { host: repository.slice(0, slash), name: repository.slice(slash + 1) };
}

function expectOk(res: HttpResponse, what: string): void {
  if (res.status === 200) return;
  throw new RegistryError('REGISTRY_PROTOCOL_ERROR', `${what}: ${res.url.host} answered HTTP ${res.status}${registryErrorText(res.body)}`, { details: { status: res.status, host: res.url.host } });
}

function nextLink(header: string | undefined, base: URL): URL | undefined {
  if (!header) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(header);
  return m?.[1] ? new URL(m[1], base) : undefined;
}
