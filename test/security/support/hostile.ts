/**
 * Hostile peers on loopback, written for the security suite: an HTTP server whose every answer the test decides
 * (a registry that challenges, redirects or lies; a token service shared by several registries), recording every
 * request it gets (method, path, headers). Nothing listens beyond 127.0.0.1 (or ::1 when asked).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface HostilePeer {
  /** `127.0.0.1:<port>` (or `[::1]:<port>`) */
  host: string;
  port: number;
  url: string;
  readonly requests: SeenRequest[];
  /** swaps the answering function */
  answer(fn: (req: SeenRequest) => Answer): void;
  stop(): Promise<void>;
}

export async function startHostilePeer(fn: (req: SeenRequest) => Answer = () => ({ status: 404 }), bind = '127.0.0.1'): Promise<HostilePeer> {
  let answerFn = fn;
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const seen: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
      requests.push(seen);
      const a = answerFn(seen);
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, bind, resolve));
  const port = (server.address() as AddressInfo).port;
  const host = bind.includes(':') ? `[${bind}]:${port}` : `${bind}:${port}`;
  return {
    host,
    port,
    url: `http://${host}`,
    requests,
    answer: (f) => {
      answerFn = f;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The user a Basic `Authorization` header names, or undefined. */
export function basicUser(headers: http.IncomingHttpHeaders): string | undefined {
  const h = headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Basic ')) return undefined;
  return Buffer.from(h.slice(6), 'base64').toString('utf8').split(':')[0];
}

export const bearerOf = (headers: http.IncomingHttpHeaders): string | undefined => {
  const h = headers.authorization;
  return typeof h === 'string' && h.startsWith('Bearer ') ? h.slice(7) : undefined;
};
