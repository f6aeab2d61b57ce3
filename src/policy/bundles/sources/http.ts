import type { Dispatcher } from 'undici';
import { messageOf } from '../../../common/error.ts';
import type { ServiceClient } from '../../../services/client.ts';
import { bundleError } from '../error.ts';
import type { BundleSource, FetchResult } from './types.ts';

/** Content type of a bundle service that supports long polling (OPA's download.go). */
export const OPA_BUNDLE_CONTENT_TYPE = 'application/vnd.openpolicyagent.bundles';

export interface HttpSourceOptions {
  /** the bundle service's client (URL, headers, TLS, credentials, timeout); the source owns and closes it */
  client: ServiceClient;
  /** path below the service URL; default bundles/<name> */
  resource: string;
  maxBytes: number;
  /** polling.long_polling_timeout_seconds; undefined = no long polling */
  longPollingTimeoutSeconds?: number;
}

/**
 * OPA's bundle service protocol: GET <service.url>/<resource> with If-None-Match
 * and `Prefer: modes=snapshot,delta[;wait=N]`; 200 = a new bundle (ETag kept),
 * 304 = unchanged, anything else an error carrying the HTTP code. Long polling
 * starts once the server answers with application/vnd.openpolicyagent.bundles.
 */
export class HttpSource implements BundleSource {
  readonly kind = 'http' as const;
  readonly description: string;
  readonly #url: string;
  readonly #client: ServiceClient;
  readonly #maxBytes: number;
  readonly #wait: number | undefined;
  #longPolling = false;

  constructor(options: HttpSourceOptions) {
    this.#client = options.client;
    this.#url = options.client.resourceUrl(options.resource);
    this.description = this.#url;
    this.#maxBytes = options.maxBytes;
    this.#wait = options.longPollingTimeoutSeconds;
  }

  async fetch(etag: string | undefined, signal: AbortSignal): Promise<FetchResult> {
    const headers: Record<string, string> = {};
    const longPoll = this.#longPolling && this.#wait !== undefined;
    headers.prefer = longPoll ? `modes=snapshot,delta;wait=${this.#wait}` : 'modes=snapshot,delta';
    if (etag !== undefined && etag !== '') headers['if-none-match'] = etag;
    const timeoutMs = this.#client.responseHeaderTimeoutMs;
    let res: Dispatcher.ResponseData;
    try {
      res = await this.#client.request(this.#url, {
        method: 'GET',
        headers,
        signal,
        // a long poll is held open by the server: no header timeout then (as OPA)
        headersTimeoutMs: longPoll ? 0 : timeoutMs,
        bodyTimeoutMs: timeoutMs === 0 ? 0 : Math.max(timeoutMs, 30_000),
      });
    } catch (err) {
      this.#longPolling = false;
      throw bundleError('BUNDLE_DOWNLOAD_FAILED', `bundle request to ${this.#url} failed: ${messageOf(err)}`, { cause: err });
    }
    // a body destroyed unread (size bound, abort) must not raise an uncaught error; the reader still sees it
    res.body.on('error', () => undefined);
    const contentType = String(res.headers['content-type'] ?? '');
    this.#longPolling = contentType.split(';')[0]?.trim() === OPA_BUNDLE_CONTENT_TYPE;
    if (res.statusCode === 304) {
      await res.body.dump();
      return { kind: 'not-modified', longPolling: this.#longPolling };
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      this.#longPolling = false;
      throw bundleError('BUNDLE_HTTP_ERROR', `server replied with ${statusText(res.statusCode)} for ${this.#url}`, { details: { http_code: res.statusCode } });
    }
    const announced = Number(res.headers['content-length'] ?? NaN);
    if (Number.isFinite(announced) && announced > this.#maxBytes) {
      await res.body.dump();
      throw bundleError('BUNDLE_DOWNLOAD_FAILED', `bundle at ${this.#url} is ${announced} bytes, over size_limit_bytes ${this.#maxBytes}`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        total += chunk.byteLength;
        if (total > this.#maxBytes) {
          res.body.destroy();
          throw bundleError('BUNDLE_DOWNLOAD_FAILED', `bundle at ${this.#url} is over size_limit_bytes ${this.#maxBytes}`);
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if ((err as { code?: unknown }).code === 'BUNDLE_DOWNLOAD_FAILED') throw err;
      throw bundleError('BUNDLE_DOWNLOAD_FAILED', `reading the bundle from ${this.#url} failed: ${messageOf(err)}`, { cause: err });
    }
    const tag = res.headers.etag;
    return { kind: 'modified', bytes: Buffer.concat(chunks), etag: typeof tag === 'string' ? tag : '', longPolling: this.#longPolling };
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

function statusText(code: number): string {
  return STATUS_TEXT[code] ?? `HTTP ${code}`;
}
