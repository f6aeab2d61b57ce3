import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent, type Dispatcher } from 'undici';
import { messageOf } from '../../../common/error.ts';
import type { ServiceConfig } from '../../../config/types.ts';
import { createStaticCredentials, type CredentialProvider } from '../../../registry/index.ts';
import { parseReference, registryApiHost } from '../../../resolve/index.ts';
import { bundleError } from '../error.ts';

/**
 * The registry access an OCI bundle service's `credentials` configure (OPA:
 * the service credentials are used against the registry), for the registry
 * host of the bundle's resource only:
 *
 * - `bearer: {token | token_path, scheme: Bearer}`: the token goes as
 *   `Authorization: Bearer <token>` on every /v2/ request to that registry
 *   (a registry or pre-issued registry token that accepts it directly). If the
 *   registry still answers with a challenge, the normal challenge flow runs
 *   anonymously.
 * - `bearer: {token | token_path, scheme: Basic}`: the token is
 *   base64("user:password"), as in an HTTP Basic header; the user and password
 *   answer Basic challenges and fetch Bearer tokens from the registry's token
 *   service (the Docker token flow).
 *
 * `token_path` is re-read before every check, so a rotated token is picked up.
 * Without credentials the registry client falls back to Docker's config.json.
 */
export interface OciAuth {
  credentials: CredentialProvider;
  dispatcher: Dispatcher;
  /** re-reads token_path (if any); call before each fetch */
  refresh(): Promise<void>;
}

interface BearerConfig {
  token?: string;
  token_path?: string;
  scheme?: string;
}

/** undefined when the service has no bearer credentials (the caller keeps its default). */
export function createOciAuth(service: ServiceConfig, reference: string): OciAuth | undefined {
  const bearer = (service.credentials as { bearer?: BearerConfig } | undefined)?.bearer;
  if (bearer === undefined) return undefined;
  if (bearer.token === undefined && bearer.token_path === undefined) {
    throw bundleError('BUNDLE_SOURCE_INVALID', `services.${service.name}.credentials.bearer needs token or token_path`);
  }
  const ref = parseReference(reference);
  if (ref.kind !== 'registry') {
    throw bundleError('BUNDLE_SOURCE_INVALID', `OCI bundle resource ${reference} must be a registry reference such as registry.example/org/policy:tag`);
  }
  const host = ref.registry;
  const apiHost = registryApiHost(host);
  const basic = (bearer.scheme ?? 'Bearer').toLowerCase() === 'basic';
  let token = bearer.token;
  let credentials: CredentialProvider = { get: async () => undefined };
  const apply = (t: string): void => {
    token = t;
    if (basic) {
      const decoded = Buffer.from(t, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw bundleError('BUNDLE_SOURCE_INVALID', `services.${service.name}.credentials.bearer with scheme Basic needs token = base64("user:password")`);
      }
      credentials = createStaticCredentials({ [host]: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } });
    }
  };
  if (bearer.token !== undefined) apply(bearer.token);

  const base = new Agent({
    keepAliveTimeout: 30_000,
    connect: {
      rejectUnauthorized: !service.allow_insecure_tls,
      ...(service.tls?.ca_cert !== undefined && { ca: [readFileSync(service.tls.ca_cert, 'utf8')] }),
    },
  });
  // a static bearer token rides on the registry's own /v2/ requests (never on redirects elsewhere or token realms)
  const dispatcher = basic ? base : base.compose((dispatch) => (opts, handler) => {
    const headers = opts.headers;
    const plain = headers !== null && headers !== undefined && typeof headers === 'object' && !Array.isArray(headers) && !(Symbol.iterator in headers);
    if (token !== undefined && plain && opts.origin !== undefined && new URL(String(opts.origin)).host === apiHost && opts.path.startsWith('/v2/')) {
      const h = headers as Record<string, string | string[] | undefined>;
      if (h.authorization === undefined) return dispatch({ ...opts, headers: { ...h, authorization: `Bearer ${token}` } }, handler);
    }
    return dispatch(opts, handler);
  });

  return {
    get credentials() {
      return { get: (h: string) => credentials.get(h) };
    },
    dispatcher,
    async refresh() {
      if (bearer.token_path === undefined) return;
      let t: string;
      try {
        t = (await readFile(bearer.token_path, 'utf8')).trim();
      } catch (err) {
        throw bundleError('BUNDLE_DOWNLOAD_FAILED', `cannot read the bearer token file of service ${service.name}: ${messageOf(err)}`, { cause: err });
      }
      apply(t);
    },
  };
}
