import { HEADERS } from './constants.ts';
import type { Credential, CredentialProvider } from './credentials.ts';
import { RegistryError } from './error.ts';
import type { Transport } from './transport.ts';

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (`Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(basic|bearer)\b\s*(.*)$/i.exec(header);
  if (!m) return undefined;
  const scheme = (m[1] ?? '').toLowerCase() === 'basic' ? 'basic' : 'bearer';
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2] ?? '')) !== null) {
    const key = (p[1] ?? '').toLowerCase();
    params[key] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme, params };
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

export interface AuthenticatorOptions {
  credentials: CredentialProvider;
  transport: Transport;
  /** decides whether a token realm may be contacted for registry `host` (its own host or allow-listed; https, or http on loopback/insecure) */
  checkRealm: (url: URL, host: string) => void;
}

const TOKEN_BYTES = 1 << 20;
const DEFAULT_TOKEN_TTL_S = 60;

/**
 * Answers registry challenges. Basic: the host's credential on every request. Bearer: a token per
 * (registry host, realm, service, scope), cached until shortly before it expires; a 401 with a cached token drops it and
 * re-challenges once. Credentials and tokens never appear in errors or logs.
 */
export class Authenticator {
  readonly #options: AuthenticatorOptions;
  /** host → how it last challenged us */
  readonly #challenges = new Map<string, Challenge>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<CachedToken>>();

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
  }

  /** The Authorization header to send up front, if the host challenged before and we hold a fresh answer. */
  async cachedHeader(host: string, repository: string): Promise<string | undefined> {
    const challenge = this.#challenges.get(host);
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      const cred = await this.#options.credentials.get(host);
      return cred?.kind === 'basic' ? basicHeader(cred) : undefined;
    }
    const token = this.#tokens.get(tokenKey(host, challenge, scopeFor(repository)));
    return token && token.expiresAt > Date.now() ? token.header : undefined;
  }

  /** Answers a 401: returns the Authorization header to retry with. */
  async answer(host: string, repository: string, wwwAuthenticate: string | undefined, opts: { signal?: AbortSignal; deadlineAt?: number; staleHeader?: string }): Promise<string> {
    const challenge = parseChallenge(wwwAuthenticate);
    if (!challenge) {
      throw new RegistryError('REGISTRY_UNAUTHORIZED', `registry ${host} refused access to ${repository} (HTTP 401) without a usable WWW-Authenticate challenge`, { details: { host } });
    }
    this.#challenges.set(host, challenge);
    const cred = await this.#options.credentials.get(host);
    if (challenge.scheme === 'basic') {
      if (cred?.kind !== 'basic') {
        throw new RegistryError('REGISTRY_UNAUTHORIZED', `registry ${host} requires a username and password for ${repository} and none is configured; run docker login ${host} (or add it to the Docker config wasmgate reads)`, { details: { host } });
      }
      const header = basicHeader(cred);
      if (opts.staleHeader === header) throw rejected(host, repository, cred);
      return header;
    }
    const scope = scopeFor(repository);
    const key = tokenKey(host, challenge, scope);
    const stale = this.#tokens.get(key);
    if (stale && stale.header === opts.staleHeader) this.#tokens.delete(key);
    else if (stale && stale.expiresAt > Date.now()) return stale.header;
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = this.#fetchToken(host, repository, challenge, scope, cred, opts).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    const token = await pending;
    this.#tokens.set(key, token);
    return token.header;
  }

  async #fetchToken(host: string, repository: string, challenge: Challenge, scope: string, cred: Credential | undefined, opts: { signal?: AbortSignal; deadlineAt?: number }): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryError('REGISTRY_UNAUTHORIZED', `registry ${host} sent a Bearer challenge without a realm`, { details: { host } });
    let url: URL;
    try {
      url = new URL(realm);
    } catch (cause) {
      throw new RegistryError('REGISTRY_UNAUTHORIZED', `registry ${host} sent a token realm that is not a URL`, { cause, details: { host } });
    }
    this.#options.checkRealm(url, host);
    const service = challenge.params.service;
    const send = { signal: opts.signal, deadlineAt: opts.deadlineAt, maxBytes: TOKEN_BYTES, what: `token for ${repository} from ${url.host}` };
    let res;
    if (cred?.kind === 'identity-token') {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'wasmgate', scope });
      if (service) form.set('service', service);
      res = await this.#options.transport.send(url, { ...send, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    } else {
      if (service) url.searchParams.set('service', service);
      url.searchParams.set('scope', scope);
      const headers: Record<string, string> = {};
      if (cred?.kind === 'basic') headers[HEADERS.authorization] = basicHeader(cred);
      res = await this.#options.transport.send(url, { ...send, headers });
    }
    if (res.status === 401 || res.status === 403) {
      if (cred) throw rejected(host, repository, cred);
      throw new RegistryError('REGISTRY_UNAUTHORIZED', `registry ${host} requires credentials for ${repository} and none are configured; run docker login ${host}`, { details: { host, status: res.status } });
    }
    if (res.status !== 200) {
      throw new RegistryError('REGISTRY_UNAUTHORIZED', `token service ${url.host} for registry ${host} answered HTTP ${res.status}`, { details: { host, status: res.status } });
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(Buffer.from(res.body).toString('utf8')) as typeof body;
    } catch (cause) {
      throw new RegistryError('REGISTRY_UNAUTHORIZED', `token service ${url.host} for registry ${host} returned something that is not JSON`, { cause, details: { host } });
    }
    const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (!token) throw new RegistryError('REGISTRY_UNAUTHORIZED', `token service ${url.host} for registry ${host} returned no token`, { details: { host } });
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_TTL_S;
    // refresh a little early so a token never expires in flight
    return { header: `Bearer ${token}`, expiresAt: Date.now() + Math.max(1, ttl - 5) * 1000 };
  }
}

function rejected(host: string, repository: string, cred: Credential): RegistryError {
  return new RegistryError(
    'REGISTRY_UNAUTHORIZED',
    cred.kind === 'identity-token'
      ? `registry ${host} (or its token service) rejected the identity token from ${cred.source} for ${repository}; it may have expired or been revoked: run docker login ${host} again`
      : `registry ${host} rejected the credentials from ${cred.source} for ${repository}; check the username/password (docker login ${host})`,
    { details: { host } },
  );
}

function basicHeader(cred: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
}

function scopeFor(repository: string): string {
  return `repository:${repository}:pull`;
}

/**
 * A token answers one registry's challenge: the scope (`repository:<path>:pull`) names no host, so two registries
 * behind one token service would otherwise get each other's tokens. The registry host is part of the key.
 */
function tokenKey(host: string, challenge: Challenge, scope: string): string {
  return `${host.toLowerCase()}\n${challenge.params.realm ?? ''}\n${challenge.params.service ?? ''}\n${scope}`;
}
