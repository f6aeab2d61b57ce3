import type { ServerResponse } from 'node:http';

const JSON_TYPE = 'application/json';

/** Serialises once and writes the answer; every answer ends with a newline, as OPA's. */
export function sendJson(res: ServerResponse, status: number, body: unknown, pretty: boolean, headers?: Record<string, string>): void {
  const text = `${pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body)}\n`;
  res.statusCode = status;
  res.setHeader('content-type', JSON_TYPE);
  res.setHeader('content-length', Buffer.byteLength(text));
  if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
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
