import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  path: string;
  ifNoneMatch: string | undefined;
  prefer: string | undefined;
  status: number;
}

/**
 * A small OPA bundle service: serves one bundle per path with an ETag, answers
 * 304 to a matching If-None-Match, and — when `longPolling` — holds a request
 * carrying `Prefer: …;wait=N` until the bundle changes or N seconds pass,
 * answering with Content-Type application/vnd.openpolicyagent.bundles.
 * `set(path, bytes, { delta: true })` serves a delta bundle (patch.json) the
 * way OPA's protocol does: only to a client whose `Prefer` offers
 * `modes=…delta`, with Content-Type application/vnd.openpolicyagent.bundles
 * (a client that does not offer deltas gets 406).
 */
export class BundleService {
  readonly requests: SeenRequest[] = [];
  url = '';
  longPolling = false;
  /** answer every request with this status instead (e.g. 503) */
  failWith: number | undefined;
  /** long-poll requests held so far (counted on arrival) */
  held = 0;
  readonly #bundles = new Map<string, { bytes: Uint8Array; etag: string; delta: boolean }>();
  readonly #waiters = new Set<() => void>();
  readonly #server = http.createServer((req, res) => this.#handle(req, res));

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  set(path: string, bytes: Uint8Array, options: { delta?: boolean } = {}): string {
    const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
    this.#bundles.set(path, { bytes, etag, delta: options.delta === true });
    for (const w of [...this.#waiters]) w();
    return etag;
  }

  async stop(): Promise<void> {
    for (const w of [...this.#waiters]) w();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = req.url ?? '/';
    const ifNoneMatch = header(req.headers['if-none-match']);
    const prefer = header(req.headers.prefer);
    const record = (status: number): void => {
      this.requests.push({ path, ifNoneMatch, prefer, status });
    };
    const contentType = this.longPolling ? 'application/vnd.openpolicyagent.bundles' : 'application/gzip';
    const answer = (): void => {
      const b = this.#bundles.get(path);
      if (this.failWith !== undefined) {
        record(this.failWith);
        res.writeHead(this.failWith).end();
      } else if (b === undefined) {
        record(404);
        res.writeHead(404).end();
      } else if (b.delta && !/modes=[^;]*\bdelta\b/.test(prefer ?? '')) {
        record(406);
        res.writeHead(406).end();
      } else if (ifNoneMatch === b.etag) {
        record(304);
        res.writeHead(304, { etag: b.etag, 'content-type': contentType }).end();
      } else {
        record(200);
        const type = b.delta ? 'application/vnd.openpolicyagent.bundles' : contentType;
        res.writeHead(200, { etag: b.etag, 'content-type': type, 'content-length': b.bytes.byteLength }).end(b.bytes);
      }
    };
    const wait = /wait=(\d+)/.exec(prefer ?? '');
    const current = this.#bundles.get(path);
    if (this.longPolling && wait !== null && current !== undefined && ifNoneMatch === current.etag) {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        answer();
      };
      this.held++;
      const timer = setTimeout(done, Number(wait[1]) * 1000);
      this.#waiters.add(done);
      return;
    }
    answer();
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}
