import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { HEADERS, USER_AGENT } from './constants.ts';
import { RegistryError } from './error.ts';
import { WasmgateError } from '../common/error.ts';

/** One HTTP exchange, body already read within its bound. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  url: URL;
}

export interface TransportOptions {
  /** undici dispatcher (connection reuse); default: one keep-alive Agent per transport */
  dispatcher?: Dispatcher;
  /** per-request timeout (connect + headers + body), ms; default 10 000 */
  requestTimeoutMs?: number;
  /** retries on network errors, timeouts, 429 and 5xx; default 3 */
  retries?: number;
  /** first backoff, doubled per retry with jitter; default 100 ms */
  backoffMs?: number;
  /** longest Retry-After honoured; a longer one fails at once; default 10 000 ms */
  maxRetryAfterMs?: number;
}

export interface SendOptions {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: string;
  /** bound on the response body: announced larger → SIZE_LIMIT_EXCEEDED before reading; streamed larger → same */
  maxBytes: number;
  /** caller cancellation / overall deadline */
  signal?: AbortSignal;
  /** epoch ms when the overall deadline passes (retries never wait past it) */
  deadlineAt?: number;
  /** what is being fetched, for messages (never contains credentials) */
  what: string;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/** non-2xx bodies are read only for a short error message */
const ERROR_BODY_BYTES = 4096;

/**
 * Sends HTTP requests with bounded bodies, per-request timeouts and retries (backoff, Retry-After). Redirects are
 * not followed here (the client does it, so it can drop credentials on a cross-origin hop).
 */
export class Transport {
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #maxRetryAfterMs: number;

  constructor(options: TransportOptions = {}) {
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connections: 16 });
    this.#timeoutMs = positive(options.requestTimeoutMs ?? 10_000, 'requestTimeoutMs');
    this.#retries = nonNegative(options.retries ?? 3, 'retries');
    this.#backoffMs = nonNegative(options.backoffMs ?? 100, 'backoffMs');
    this.#maxRetryAfterMs = nonNegative(options.maxRetryAfterMs ?? 10_000, 'maxRetryAfterMs');
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /** Sends one request, retrying transient failures. Returns any final status (the caller interprets 4xx). */
  async send(url: URL, options: SendOptions): Promise<HttpResponse> {
    let lastError: RegistryError | undefined;
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      throwIfAborted(options.signal, options.what);
      let waitMs = this.#backoff(attempt);
      try {
        const res = await this.#once(url, options);
        if (!RETRYABLE_STATUS.has(res.status)) return res;
        const retryAfter = parseRetryAfter(res.headers[HEADERS.retryAfter]);
        lastError = new RegistryError(
          'REGISTRY_UNREACHABLE',
          `${options.what}: ${url.host} answered HTTP ${res.status}${res.status === 429 ? ' (rate limited)' : ''} ${attempt + 1} time(s)${registryErrorText(res.body)}; try again later or check the registry`,
          { details: { status: res.status, host: url.host } },
        );
        if (retryAfter !== undefined) {
          if (retryAfter > this.#maxRetryAfterMs || exceedsDeadline(options.deadlineAt, retryAfter)) {
            throw new RegistryError(
              'REGISTRY_UNREACHABLE',
              `${options.what}: ${url.host} answered HTTP ${res.status} with Retry-After ${Math.ceil(retryAfter / 1000)}s, longer than wasmgate may wait; try again later`,
              { details: { status: res.status, host: url.host, retryAfterMs: retryAfter } },
            );
          }
          waitMs = retryAfter;
        }
      } catch (err) {
        if (!isRetryable(err)) throw err;
        lastError = err;
      }
      if (attempt === this.#retries) break;
      if (exceedsDeadline(options.deadlineAt, waitMs)) break;
      await abortableSleep(waitMs, options.signal, options.what);
    }
    throw lastError ?? new RegistryError('REGISTRY_UNREACHABLE', `${options.what}: no attempt was made`);
  }

  #backoff(attempt: number): number {
    const base = this.#backoffMs * 2 ** attempt;
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  async #once(url: URL, options: SendOptions): Promise<HttpResponse> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = { [HEADERS.userAgent]: USER_AGENT, ...options.headers };
    let res: Dispatcher.ResponseData;
    try {
      res = await this.#dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: options.method ?? 'GET',
        headers,
        body: options.body ?? null,
        signal,
        // undici closes the connection after a HEAD unless told otherwise (for servers that send a body anyway); a
        // tag resolution is one HEAD per decision, and a new TCP connection each time triples its cost. Registries
        // send no body on HEAD (the distribution spec), and whatever a manifest GET returns is checked by digest.
        ...(options.method === 'HEAD' ? { reset: false } : {}),
      });
    } catch (cause) {
      throw toTransportError(cause, url, options, timeout, this.#timeoutMs);
    }
    // The body may be destroyed unread (size check, abort): its error must not become an uncaught exception;
    // a reader still sees it through the async iterator.
    res.body.on('error', ignore);
    const resHeaders = flattenHeaders(res.headers);
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    const limit = ok ? options.maxBytes : ERROR_BODY_BYTES;
    // a HEAD answer announces the size of a body it does not send
    const announced = options.method === 'HEAD' ? Number.NaN : Number(resHeaders[HEADERS.contentLength]);
    if (ok && Number.isFinite(announced) && announced > limit) {
      res.body.destroy();
      throw sizeError(options.what, url, announced, limit);
    }
    try {
      const body = await readBounded(res.body, limit, !ok);
      if (ok && Number.isFinite(announced) && body.byteLength !== announced) {
        throw new RegistryError('REGISTRY_UNREACHABLE', `${options.what}: ${url.host} sent ${body.byteLength} of ${announced} bytes (body cut short)`, {
          details: { host: url.host, retryable: true },
        });
      }
      return { status: res.statusCode, headers: resHeaders, body, url };
    } catch (cause) {
      res.body.destroy();
      if (cause instanceof BodyTooLarge) throw sizeError(options.what, url, cause.seen, limit);
      if (WasmgateError.isWasmgateError(cause)) throw cause;
      throw toTransportError(cause, url, options, timeout, this.#timeoutMs);
    }
  }
}

function ignore(): void {}

class BodyTooLarge extends Error {
  readonly seen: number;
  constructor(seen: number) {
    super('body too large');
    this.seen = seen;
  }
}

async function readBounded(body: AsyncIterable<Uint8Array>, limit: number, truncate: boolean): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) {
      if (truncate) {
        chunks.push(chunk.subarray(0, chunk.byteLength - (total - limit)));
        total = limit;
        break;
      }
      throw new BodyTooLarge(total);
    }
    chunks.push(chunk);
  }
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  return new Uint8Array(Buffer.concat(chunks, total));
}

function sizeError(what: string, url: URL, size: number, limit: number): RegistryError {
  return new RegistryError('SIZE_LIMIT_EXCEEDED', `${what}: ${url.host} sent more than ${limit} bytes (at least ${size}); raise the limit if this content is legitimate`, {
    details: { host: url.host, limit, size },
  });
}

function toTransportError(cause: unknown, url: URL, options: SendOptions, timeout: AbortSignal, timeoutMs: number): RegistryError {
  if (options.signal?.aborted) return abortError(options.signal, options.what, cause);
  if (timeout.aborted) {
    return new RegistryError('DEADLINE_EXCEEDED', `${options.what}: ${url.host} did not answer within ${timeoutMs} ms`, {
      cause,
      details: { host: url.host, timeoutMs, retryable: true },
    });
  }
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : '';
  return new RegistryError('REGISTRY_UNREACHABLE', `${options.what}: cannot reach ${url.host} (${code || 'network error'}); check the registry address and that it is up`, {
    cause,
    details: { host: url.host, retryable: true },
  });
}

/** The error for an aborted signal: DEADLINE_EXCEEDED when it was a timeout, ABORTED otherwise. */
export function abortError(signal: AbortSignal, what: string, cause?: unknown): RegistryError {
  const reason: unknown = signal.reason;
  if (WasmgateError.isWasmgateError(reason)) return new RegistryError(reason.code === 'DEADLINE_EXCEEDED' ? 'DEADLINE_EXCEEDED' : 'ABORTED', `${what}: ${reason.message}`, { cause: reason });
  const isTimeout = reason instanceof Error && reason.name === 'TimeoutError';
  return isTimeout
    ? new RegistryError('DEADLINE_EXCEEDED', `${what}: the overall deadline passed`, { cause: cause ?? reason })
    : new RegistryError('ABORTED', `${what}: cancelled`, { cause: cause ?? reason });
}

export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

async function abortableSleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch {
    throwIfAborted(signal, what);
  }
}

/** Network errors, per-request timeouts and short bodies are retried; everything else is final. */
function isRetryable(err: unknown): err is RegistryError {
  return WasmgateError.isWasmgateError(err) && err.details?.retryable === true;
}

function exceedsDeadline(deadlineAt: number | undefined, waitMs: number): boolean {
  return deadlineAt !== undefined && Date.now() + waitMs >= deadlineAt;
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** The first distribution-spec error code from a body, as ` (CODE)`; never more than the code. */
export function registryErrorText(body: Uint8Array): string {
  try {
    const json: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
    const first = (json as { errors?: Array<{ code?: unknown }> }).errors?.[0]?.code;
    return typeof first === 'string' && /^[A-Z_]{1,64}$/.test(first) ? ` (${first})` : '';
  } catch {
    return '';
  }
}

function positive(n: number, name: string): number {
  if (!Number.isFinite(n) || n <= 0) throw new RegistryError('INVALID_ARGUMENT', `registry option ${name} must be a positive number, got ${n}`);
  return n;
}
function nonNegative(n: number, name: string): number {
  if (!Number.isFinite(n) || n < 0) throw new RegistryError('INVALID_ARGUMENT', `registry option ${name} must be a non-negative number, got ${n}`);
  return n;
}
