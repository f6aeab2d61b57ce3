import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { messageOf } from '../common/error.ts';
import { isRecord } from '../common/is-record.ts';
import type { ServiceConfig } from '../config/types.ts';
import { ServiceError } from './error.ts';

/**
 * One client per configured service (`services.<name>`), as OPA's plugin manager hands a named service's REST
 * client to the bundle and decision-log plugins: the service URL, its `headers`, its TLS options
 * (`tls.ca_cert`, `allow_insecure_tls`), its `response_header_timeout_seconds` and its credentials
 * (`credentials.bearer: {token | token_path, scheme = Bearer}`; `token_path` wins when both are set and is
 * re-read before every request, so a rotated token is picked up). The `Authorization` header is added by the
 * client's dispatcher, and only on requests to the service's own origin (or what `authorize` allows): never on a
 * request elsewhere, never in a message, status or log line.
 */
export interface BearerCredential {
  scheme: string;
  token: string;
}

export interface ServiceClientOptions {
  /** which requests the credential goes on; default: those to the origin of the service URL */
  authorize?: (origin: URL, path: string) => boolean;
  /** false: never add `Authorization` (the caller uses `credential()` its own way, e.g. registry Basic auth) */
  attachCredential?: boolean;
  keepAliveTimeoutMs?: number;
}

export interface ServiceRequest {
  method: 'GET' | 'POST';
  /** added after the service's configured `headers` */
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  signal?: AbortSignal;
  /** ms to wait for the response headers; 0 = no limit; default response_header_timeout_seconds */
  headersTimeoutMs?: number;
  /** ms between body chunks; 0 = no limit; default as headersTimeoutMs */
  bodyTimeoutMs?: number;
  /** ms for the whole request, body included; default none */
  totalTimeoutMs?: number;
}

interface BearerConfig {
  token?: string;
  token_path?: string;
  scheme: string;
}

/** `credentials.bearer` of a service, typed; undefined when there is none. */
export function bearerConfig(service: ServiceConfig): BearerConfig | undefined {
  const bearer = isRecord(service.credentials) ? service.credentials.bearer : undefined;
  if (!isRecord(bearer)) return undefined;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const token = str(bearer.token);
  const tokenPath = str(bearer.token_path);
  return { ...(token !== undefined && { token }), ...(tokenPath !== undefined && { token_path: tokenPath }), scheme: str(bearer.scheme) ?? 'Bearer' };
}

export class ServiceClient {
  readonly name: string;
  /** the service base URL, without trailing slashes */
  readonly url: string;
  /** TLS per the service config; adds the credential to authorised requests. Give it to other HTTP clients. */
  readonly dispatcher: Dispatcher;
  readonly #config: ServiceConfig;
  readonly #bearer: BearerConfig | undefined;
  readonly #agent: Agent;
  #current: BearerCredential | undefined;

  constructor(config: ServiceConfig, options: ServiceClientOptions = {}) {
    this.name = config.name;
    this.url = config.url.replace(/\/+$/, '');
    this.#config = config;
    this.#bearer = bearerConfig(config);
    if (this.#bearer?.token !== undefined && this.#bearer.token !== '') this.#current = { scheme: this.#bearer.scheme, token: this.#bearer.token };
    this.#agent = new Agent({
      ...(options.keepAliveTimeoutMs !== undefined && { keepAliveTimeout: options.keepAliveTimeoutMs }),
      connect: {
        rejectUnauthorized: !config.allow_insecure_tls,
        ...(config.tls?.ca_cert !== undefined && { ca: [readCa(config)] }),
      },
    });
    const origin = new URL(this.url).origin;
    const authorize = options.authorize ?? ((o: URL) => o.origin === origin);
    this.dispatcher = options.attachCredential === false ? this.#agent : this.#agent.compose((dispatch) => (opts, handler) => {
      const cred = this.#current;
      const headers = opts.headers ?? {};
      // none or a plain header object (what undici.request and the registry client send); others pass untouched
      const plain = isRecord(headers) && !(Symbol.iterator in headers);
      if (cred !== undefined && plain && opts.origin !== undefined && authorize(new URL(String(opts.origin)), opts.path) && !Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) {
        return dispatch({ ...opts, headers: { ...headers, authorization: `${cred.scheme} ${cred.token}` } }, handler);
      }
      return dispatch(opts, handler);
    });
  }

  /** `response_header_timeout_seconds` in ms (0: no limit). */
  get responseHeaderTimeoutMs(): number {
    const seconds: unknown = this.#config.response_header_timeout_seconds;
    // the schema's default (10) when a caller built the config without it
    return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : DEFAULT_RESPONSE_HEADER_TIMEOUT_MS;
  }

  /** `<url>/<resource>` with one slash between. */
  resourceUrl(resource: string): string {
    return `${this.url}/${resource.replace(/^\/+/, '')}`;
  }

  /** The current credential: `token_path` read now (it wins over `token`), else `token`; undefined without one. */
  async credential(): Promise<BearerCredential | undefined> {
    const b = this.#bearer;
    if (b === undefined) return undefined;
    if (b.token_path !== undefined) {
      let token: string;
      try {
        token = (await readFile(b.token_path, 'utf8')).trim();
      } catch (err) {
        throw new ServiceError('SERVICE_TOKEN_UNREADABLE', `cannot read the bearer token file of service ${this.name}: ${messageOf(err)}; check services.${this.name}.credentials.bearer.token_path`, { cause: err });
      }
      this.#current = token === '' ? undefined : { scheme: b.scheme, token };
    }
    return this.#current;
  }

  /**
   * One request to `url` (the service's or, through `authorize`, an allowed origin): the service headers, then
   * `req.headers`, the credential re-read first. Timeouts are SERVICE_TIMEOUT, other failures before a response
   * SERVICE_REQUEST_FAILED; any HTTP status is returned.
   */
  async request(url: string, req: ServiceRequest): Promise<Dispatcher.ResponseData> {
    await this.credential();
    const timeoutMs = req.headersTimeoutMs ?? this.responseHeaderTimeoutMs;
    const total = req.totalTimeoutMs !== undefined ? AbortSignal.timeout(req.totalTimeoutMs) : undefined;
    const signal = total !== undefined && req.signal !== undefined ? AbortSignal.any([req.signal, total]) : (total ?? req.signal);
    try {
      return await request(url, {
        method: req.method,
        headers: { ...this.#config.headers, ...req.headers },
        ...(req.body !== undefined && { body: req.body }),
        ...(signal !== undefined && { signal }),
        dispatcher: this.dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: req.bodyTimeoutMs ?? timeoutMs,
      });
    } catch (err) {
      if (isTimeout(err) || total?.aborted === true) {
        throw new ServiceError('SERVICE_TIMEOUT', `request to service ${this.name} (${url}) timed out: ${messageOf(err)}; raise services.${this.name}.response_header_timeout_seconds or check the service`, { cause: err });
      }
      throw new ServiceError('SERVICE_REQUEST_FAILED', `request to service ${this.name} (${url}) failed: ${messageOf(err)}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

/** A client for `config` (see ServiceClient); the caller owns it and closes it. */
export function createServiceClient(config: ServiceConfig, options: ServiceClientOptions = {}): ServiceClient {
  return new ServiceClient(config, options);
}

const DEFAULT_RESPONSE_HEADER_TIMEOUT_MS = 10_000;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** undici's timeout errors, or an AbortSignal.timeout firing. */
function isTimeout(err: unknown): boolean {
  if (!isRecord(err)) return false;
  return (typeof err.code === 'string' && TIMEOUT_CODES.has(err.code)) || err.name === 'TimeoutError';
}

/** Read once at construction: the CA file is config, not data. */
function readCa(config: ServiceConfig): string {
  const path = config.tls?.ca_cert ?? '';
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ServiceError('SERVICE_CONFIG_INVALID', `cannot read services.${config.name}.tls.ca_cert ${path}: ${messageOf(err)}`, { cause: err });
  }
}
