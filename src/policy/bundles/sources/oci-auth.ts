import type { Dispatcher } from 'undici';
import { messageOf } from '../../../common/error.ts';
import type { ServiceConfig } from '../../../config/types.ts';
import { createStaticCredentials, type CredentialProvider } from '../../../registry/index.ts';
import { parseReference, registryApiHost } from '../../../resolve/index.ts';
import { createServiceClient, bearerConfig } from '../../../services/client.ts';
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
  close(): Promise<void>;
}

/** undefined when the service has no bearer credentials (the caller keeps its default). */
export function createOciAuth(service: ServiceConfig, reference: string): OciAuth | undefined {
  const bearer = bearerConfig(service);
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
  const basic = bearer.scheme.toLowerCase() === 'basic';
  let credentials: CredentialProvider = { get: async () => undefined };
  const apply = (t: string): void => {
    if (!basic) return;
    const decoded = Buffer.from(t, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw bundleError('BUNDLE_SOURCE_INVALID', `services.${service.name}.credentials.bearer with scheme Basic needs token = base64("user:password")`);
    }
    credentials = createStaticCredentials({ [host]: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } });
  };
  if (bearer.token !== undefined) apply(bearer.token);

  // Bearer: the service client puts the token on the registry's own /v2/ requests (never on redirects elsewhere or
  // token realms); Basic: the user and password answer the registry's challenges through `credentials`
  const client = createServiceClient(service, {
    keepAliveTimeoutMs: 30_000,
    attachCredential: !basic,
    authorize: (origin, path) => origin.host === apiHost && path.startsWith('/v2/'),
  });

  return {
    get credentials() {
      return { get: (h: string) => credentials.get(h) };
    },
    dispatcher: client.dispatcher,
    async refresh() {
      if (bearer.token_path === undefined) return;
      let cred;
      try {
        cred = await client.credential();
      } catch (err) {
        throw bundleError('BUNDLE_DOWNLOAD_FAILED', messageOf(err), { cause: err });
      }
      if (cred !== undefined) apply(cred.token);
    },
    close: () => client.close(),
  };
}
