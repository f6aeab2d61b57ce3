/**
 * Real registries (and fronts for them) on 127.0.0.1, started and stopped by tests. Every starter returns a
 * `RunningRegistry` whose `host` is `127.0.0.1:<port>` (use it as the registry part of a reference) and whose
 * `stop()` kills the process / closes the server. Reuse these from any test area:
 *
 * - `startTestRegistry({ referrers })` — wasmgate-testregistry (go-containerregistry's registry) WITH the OCI 1.1
 *   referrers API, or without it (`referrers: false`: the referrers endpoint answers 404, exercising the tag
 *   fallback).
 * - `startDockerRegistry({ basicAuth })` — Debian's docker-registry 2.8 (no referrers API). With
 *   `basicAuth: { username, password }` it requires HTTP Basic auth (htpasswd, bcrypt).
 * - `startTokenAuthFront({ upstream, users })` — a Bearer-token front (Docker token spec) written here: `/token`
 *   issues short-lived tokens to users with the right Basic credentials (anonymous gets 401 unless
 *   `allowAnonymous`) or, with `refreshTokens`, to an OAuth2 `POST /token` refresh-token grant (Docker's
 *   `identitytoken`), and `/v2/*` is proxied to `upstream` only with a valid token. `tokenRequests` counts
 *   issued tokens (to test caching); `tokenLog` records each token request (no secrets).
 * - `startRecordingServer({ serve })` — a plain HTTP server on another loopback port that records every request's
 *   headers (e.g. a CDN a registry redirects blob downloads to) and answers with `serve(path)`.
 * - `startFaultProxy({ upstream, fault })` — a proxy to `upstream` that can misbehave per request:
 *   `fault(req)` returns a `Fault` (HTTP status with headers, delay, body cut short, corrupted body, oversized
 *   body, rewritten body) or undefined to pass through. `setFault` swaps the function; `requests` logs paths.
 *
 * All servers listen on 127.0.0.1 only, on free ports. Nothing here touches the network beyond loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import { requireTool } from './tools.ts';

export interface RunningRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released; fine for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `GET /v2/` until the registry answers (200 or 401). */
export async function waitForRegistry(url: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`registry at ${url} did not come up within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

/** wasmgate-testregistry (go-containerregistry), with or without the referrers API. In-memory storage. */
export async function startTestRegistry(options: { referrers?: boolean } = {}): Promise<RunningRegistry> {
  const bin = requireTool('wasmgate-testregistry');
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-testregistry-'));
  const portFile = join(dir, 'addr');
  const child = spawn(bin, ['-addr', '127.0.0.1:0', '-port-file', portFile, `-referrers=${options.referrers ?? true}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  const until = Date.now() + 15_000;
  let addr = '';
  while (!addr) {
    if (child.exitCode !== null) throw new Error(`wasmgate-testregistry exited early: ${stderr}`);
    addr = await readFile(portFile, 'utf8').catch(() => '');
    if (!addr) {
      if (Date.now() > until) throw new Error('wasmgate-testregistry did not write its address');
      await sleep(20);
    }
  }
  const url = `http://${addr.trim()}`;
  await waitForRegistry(url);
  return {
    host: addr.trim(),
    url,
    stop: async () => {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's docker-registry 2.8 (no referrers API), filesystem storage in a temp dir; optional htpasswd Basic auth. */
export async function startDockerRegistry(options: { basicAuth?: { username: string; password: string } } = {}): Promise<RunningRegistry & { dir: string }> {
  const bin = requireTool('docker-registry');
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-docker-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  if (options.basicAuth) {
    const hash = bcrypt.hashSync(options.basicAuth.password, 4);
    await writeFile(join(dir, 'htpasswd'), `${options.basicAuth.username}:${hash}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: wasmgate-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  await writeFile(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const child = spawn(bin, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitForRegistry(url),
      new Promise((_, reject) => child.once('exit', () => reject(new Error(`docker-registry exited early: ${stderr}`)))),
    ]);
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  return {
    host: `127.0.0.1:${port}`,
    url,
    dir,
    stop: async () => {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Forwards one request to `upstream` (host:port) and buffers the answer. */
function forward(upstream: string, req: http.IncomingMessage, body: Buffer, dropAuth: boolean): Promise<UpstreamResponse> {
  const [hostname, port] = upstream.split(':');
  const headers = { ...req.headers, host: upstream };
  if (dropAuth) delete headers.authorization;
  return new Promise((resolve, reject) => {
    const up = http.request({ hostname, port: Number(port), method: req.method, path: req.url, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    up.on('error', reject);
    up.end(body);
  });
}

async function readRequestBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function relay(res: http.ServerResponse, up: UpstreamResponse, body: Buffer = up.body): void {
  const headers: http.OutgoingHttpHeaders = { ...up.headers };
  delete headers['transfer-encoding'];
  delete headers.connection;
  headers['content-length'] = String(body.byteLength);
  res.writeHead(up.status, headers);
  res.end(body);
}

export interface TokenAuthFront extends RunningRegistry {
  /** tokens issued so far */
  readonly tokenRequests: number;
  /** token requests refused (bad or missing credentials) */
  readonly refusals: number;
  /** every token request as the front saw it (method, grant, form fields without secrets, whether Basic auth came along) */
  readonly tokenLog: TokenRequestRecord[];
}

export interface TokenRequestRecord {
  method: string;
  /** `refresh_token` for the OAuth2 POST, `basic` or `anonymous` for the GET flow */
  grant: 'refresh_token' | 'basic' | 'anonymous' | 'other';
  service: string;
  scope: string;
  clientId: string;
  ok: boolean;
}

/**
 * A Bearer-token registry front (the Docker token flow): `/token` checks Basic credentials against `users`
 * and issues an opaque token for the requested scope; `/v2/*` needs `Authorization: Bearer <token>` and is then
 * proxied to `upstream` (a registry host:port, typically startTestRegistry's). Tokens expire after `tokenTtlSeconds`.
 * `refreshTokens` (refresh token → user) enables the OAuth2 grant of the distribution token spec: `POST /token`
 * with a form body `grant_type=refresh_token&refresh_token=…&service=…&scope=…&client_id=…`, answered with
 * `{access_token, expires_in}` — what Docker's config.json `identitytoken` is exchanged through. A POST with an
 * unknown refresh token, a missing client_id or a wrong service is refused with 401 (`invalid_grant`).
 */
export async function startTokenAuthFront(options: {
  upstream: string;
  users: Record<string, string>;
  tokenTtlSeconds?: number;
  allowAnonymous?: boolean;
  refreshTokens?: Record<string, string>;
}): Promise<TokenAuthFront> {
  const tokens = new Map<string, { scope: string; expiresAt: number }>();
  const ttl = options.tokenTtlSeconds ?? 300;
  const service = 'wasmgate-test';
  let tokenRequests = 0;
  let refusals = 0;
  const tokenLog: TokenRequestRecord[] = [];
  let realm = '';
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://front');
      const body = await readRequestBody(req);
      if (url.pathname === '/token') {
        const auth = req.headers.authorization ?? '';
        let ok = false;
        let scope = url.searchParams.get('scope') ?? '';
        const record: TokenRequestRecord = { method: req.method ?? '', grant: 'other', service: '', scope, clientId: '', ok: false };
        if (req.method === 'POST') {
          // OAuth2 refresh-token grant (distribution token spec, "OAuth2 token")
          const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
          scope = form.get('scope') ?? '';
          Object.assign(record, { service: form.get('service') ?? '', scope, clientId: form.get('client_id') ?? '' });
          if (form.get('grant_type') === 'refresh_token') {
            record.grant = 'refresh_token';
            const refresh = form.get('refresh_token') ?? '';
            ok = Object.hasOwn(options.refreshTokens ?? {}, refresh) && record.clientId !== '' && record.service === service;
          }
        } else {
          record.service = url.searchParams.get('service') ?? '';
          record.grant = auth === '' ? 'anonymous' : auth.startsWith('Basic ') ? 'basic' : 'other';
          ok = options.allowAnonymous === true && auth === '';
          if (auth.startsWith('Basic ')) {
            const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
            const colon = decoded.indexOf(':');
            const user = decoded.slice(0, colon);
            ok = colon > 0 && Object.hasOwn(options.users, user) && options.users[user] === decoded.slice(colon + 1);
          }
        }
        record.ok = ok;
        tokenLog.push(record);
        if (!ok) {
          refusals++;
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify(req.method === 'POST' ? { error: 'invalid_grant' } : { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
          return;
        }
        tokenRequests++;
        const token = randomBytes(18).toString('base64url');
        tokens.set(token, { scope, expiresAt: Date.now() + ttl * 1000 });
        res.writeHead(200, { 'content-type': 'application/json' });
        const answer = req.method === 'POST' ? { access_token: token, expires_in: ttl, scope } : { token, expires_in: ttl, issued_at: new Date().toISOString() };
        res.end(JSON.stringify(answer));
        return;
      }
      const name = /^\/v2\/(.+?)\/(?:manifests|blobs|referrers|tags)\//.exec(url.pathname)?.[1];
      const scope = name ? `repository:${name}:pull` : '';
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const grant = bearer ? tokens.get(bearer) : undefined;
      const valid = grant !== undefined && grant.expiresAt > Date.now() && (scope === '' || grant.scope.split(' ').includes(scope));
      if (!valid) {
        const challenge = `Bearer realm="${realm}",service="${service}"${scope ? `,scope="${scope}"` : ''}`;
        res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
      relay(res, await forward(options.upstream, req, body, true));
    })().catch(() => {
      res.writeHead(502);
      res.end();
    });
  });
  const port = await listen(server);
  realm = `http://127.0.0.1:${port}/token`;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    get tokenRequests() {
      return tokenRequests;
    },
    get refusals() {
      return refusals;
    },
    tokenLog,
    stop: () => closeServer(server),
  };
}

/** What the fault proxy does with one request. */
export type Fault =
  /** answer this status (and headers, e.g. Retry-After) without contacting upstream */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** wait this long before answering (longer than the client's timeout = a hang) */
  | { kind: 'delay'; ms: number }
  /** send the upstream headers (with the full Content-Length) but only `bytes` of the body, then drop the connection */
  | { kind: 'truncate'; bytes?: number }
  /** flip one byte of the upstream body (length unchanged) */
  | { kind: 'corrupt' }
  /** answer 200 with a body of this many bytes */
  | { kind: 'oversize'; bytes: number; contentType?: string }
  /** replace the upstream body (Content-Length fixed up; Docker-Content-Digest dropped) */
  | { kind: 'rewrite'; rewrite: (body: Buffer, path: string) => Buffer };

export interface FaultRequest {
  method: string;
  /** path and query, e.g. `/v2/mod/manifests/sha256:…` */
  path: string;
  /** how many requests for this method+path came before (0 for the first) */
  count: number;
  /** the request headers as received (e.g. to see whether Authorization came along) */
  headers: http.IncomingHttpHeaders;
}

export interface FaultProxy extends RunningRegistry {
  /** replaces the fault function and resets the per-path counts and the request log */
  setFault(fault: (req: FaultRequest) => Fault | undefined): void;
  /** every request seen since the last setFault, in order (`METHOD path`) */
  readonly requests: string[];
}

export async function startFaultProxy(options: { upstream: string; fault?: (req: FaultRequest) => Fault | undefined }): Promise<FaultProxy> {
  let faultFn = options.fault ?? (() => undefined);
  const counts = new Map<string, number>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      const key = `${req.method} ${path}`;
      const count = counts.get(key) ?? 0;
      counts.set(key, count + 1);
      requests.push(key);
      const body = await readRequestBody(req);
      const fault = faultFn({ method: req.method ?? 'GET', path, count, headers: req.headers });
      if (fault?.kind === 'status') {
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(fault.body ?? JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected fault' }] }));
        return;
      }
      if (fault?.kind === 'delay') await sleep(fault.ms);
      if (fault?.kind === 'oversize') {
        res.writeHead(200, { 'content-type': fault.contentType ?? 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(fault.bytes) });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let left = fault.bytes;
        const pump = (): void => {
          while (left > 0) {
            const n = Math.min(left, chunk.byteLength);
            left -= n;
            if (!res.write(chunk.subarray(0, n))) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('error', () => undefined);
        pump();
        return;
      }
      const up = await forward(options.upstream, req, body, false);
      if (res.destroyed) return;
      if (fault?.kind === 'truncate') {
        const headers: http.OutgoingHttpHeaders = { ...up.headers, 'content-length': String(up.body.byteLength) };
        delete headers['transfer-encoding'];
        res.writeHead(up.status, headers);
        res.write(up.body.subarray(0, fault.bytes ?? Math.floor(up.body.byteLength / 2)));
        setTimeout(() => res.socket?.destroy(), 10);
        return;
      }
      if (fault?.kind === 'corrupt' && up.body.byteLength > 0) {
        const copy = Buffer.from(up.body);
        const i = copy.byteLength - 2 >= 0 ? copy.byteLength - 2 : 0;
        copy[i] = (copy[i] ?? 0) ^ 0x01;
        relay(res, up, copy);
        return;
      }
      if (fault?.kind === 'rewrite') {
        const headers = { ...up.headers };
        delete headers['docker-content-digest'];
        relay(res, { ...up, headers }, fault.rewrite(up.body, path));
        return;
      }
      relay(res, up);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  const port = await listen(server);
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    setFault: (fn) => {
      faultFn = fn;
      counts.clear();
      requests.length = 0;
    },
    requests,
    stop: () => closeServer(server),
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export interface RecordingServer extends RunningRegistry {
  /** every request seen, in order, with its headers */
  readonly requests: RecordedRequest[];
}

/**
 * A plain HTTP server on its own loopback port that records what it is sent (method, path, headers) and answers
 * with `serve(path)` (status 200 and the body, or 404 when it returns undefined). Stands in for a second origin,
 * e.g. the CDN a registry redirects blob downloads to.
 */
export async function startRecordingServer(options: { serve: (path: string) => Promise<Buffer | undefined> }): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    void (async () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '/', headers: { ...req.headers } });
      await readRequestBody(req);
      const body = await options.serve(req.url ?? '/');
      if (body === undefined) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) });
      res.end(body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  const port = await listen(server);
  return { host: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}`, requests, stop: () => closeServer(server) };
}
