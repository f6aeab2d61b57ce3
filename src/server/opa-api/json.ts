import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

const JSON_TYPE = 'application/json';

/** OPA's response compression (server.encoding.gzip): bodies from `minLength` bytes are gzipped for clients that accept it. */
export interface Compression {
  minLength: number;
  level: number;
}

/** True when the request's Accept-Encoding lists gzip with a non-zero quality. */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip' && coding?.trim() !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/** Serialises once and writes the answer; every answer ends with a newline, as OPA's. */
export function sendJson(res: ServerResponse, status: number, body: unknown, pretty: boolean, headers?: Record<string, string>, compress?: Compression): void {
  const text = `${pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body)}\n`;
  res.statusCode = status;
  res.setHeader('content-type', JSON_TYPE);
  if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (compress !== undefined) {
    res.setHeader('vary', 'Accept-Encoding');
    const length = Buffer.byteLength(text);
    if (length >= compress.minLength && acceptsGzip(res.req?.headers['accept-encoding'])) {
      const gz = gzipSync(text, { level: compress.level });
      res.setHeader('content-encoding', 'gzip');
      res.setHeader('content-length', gz.length);
      res.end(gz);
      return;
    }
    res.setHeader('content-length', length);
    res.end(text);
    return;
  }
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** `?flag` and `?flag=true` are true (OPA's bool params); anything else false. */
export function flag(query: URLSearchParams | undefined, name: string): boolean {
  if (!query) return false;
  const v = query.get(name);
  return v !== null && (v === '' || v.toLowerCase() === 'true');
}

/** Splits `req.url` into pathname and query (parsed only when present). */
export function splitUrl(url: string): { pathname: string; query: URLSearchParams | undefined } {
  const q = url.indexOf('?');
  if (q === -1) return { pathname: url, query: undefined };
  return { pathname: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}
