/**
 * The one service client (src/services/client.ts) against loopback servers: the credential goes only to the
 * service's origin, token_path is re-read before each request, timeouts and connection failures are coded
 * errors, and tokens reach no message.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../../src/config/types.ts';
import { createServiceClient, type ServiceClient } from '../../../src/services/client.ts';
import { ServiceError } from '../../../src/services/error.ts';
import { errorOf } from '../../support/errors.ts';

interface Peer {
  url: string;
  seen: IncomingHttpHeaders[];
  server: Server;
}

/** A loopback HTTP server recording request headers; `delayMs` holds the response headers back. */
async function peer(delayMs = 0): Promise<Peer> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), delayMs).unref();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const service = (url: string, extra: Partial<ServiceConfig> = {}): ServiceConfig => ({
  name: 'acme', url, response_header_timeout_seconds: 10, allow_insecure_tls: false, ...extra,
});

describe('ServiceClient', () => {
  let a: Peer;
  let b: Peer;
  let slow: Peer;
  let dir: string;
  const clients: ServiceClient[] = [];
  const client = (config: ServiceConfig, options?: Parameters<typeof createServiceClient>[1]): ServiceClient => {
    const c = createServiceClient(config, options);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    [a, b, slow] = await Promise.all([peer(), peer(), peer(1500)]);
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-service-'));
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    a.seen.length = 0;
    b.seen.length = 0;
  });
  afterAll(async () => {
    for (const p of [a, b, slow]) {
      p.server.closeAllConnections();
      await new Promise((r) => p.server.close(r));
    }
  });

  it('sends the service headers and the bearer token to the service, under its scheme', async () => {
    const c = client(service(`${a.url}/v1/`, { headers: { 'x-team': 'gate' }, credentials: { bearer: { token: 's3cret' } } }));
    expect(c.resourceUrl('/bundles/x')).toBe(`${a.url}/v1/bundles/x`);
    const res = await c.request(c.resourceUrl('bundles/x'), { method: 'GET', headers: { prefer: 'modes=snapshot' } });
    await res.body.dump();
    expect(a.seen[0]).toMatchObject({ authorization: 'Bearer s3cret', 'x-team': 'gate', prefer: 'modes=snapshot' });
    const basic = client(service(a.url, { credentials: { bearer: { token: 'dTpw', scheme: 'Basic' } } }));
    await (await basic.request(`${a.url}/x`, { method: 'GET' })).body.dump();
    expect(a.seen[1]?.authorization).toBe('Basic dTpw');
  });

  it("adds the token only on requests to the service's origin, even through its dispatcher", async () => {
    const c = client(service(a.url, { credentials: { bearer: { token: 's3cret' } } }));
    await (await c.request(`${b.url}/elsewhere`, { method: 'GET' })).body.dump();
    await (await request(`${b.url}/other`, { dispatcher: c.dispatcher })).body.dump();
    await (await request(`${a.url}/own`, { dispatcher: c.dispatcher })).body.dump();
    expect(b.seen.map((h) => h.authorization)).toEqual([undefined, undefined]);
    expect(a.seen[0]?.authorization).toBe('Bearer s3cret');
  });

  it('follows `authorize` (the OCI registry /v2/ rule) and never overrides an explicit Authorization', async () => {
    const host = new URL(b.url).host;
    const c = client(service(a.url, { credentials: { bearer: { token: 'reg' } } }), { authorize: (o, path) => o.host === host && path.startsWith('/v2/') });
    await (await request(`${b.url}/v2/x/manifests/1`, { dispatcher: c.dispatcher })).body.dump();
    await (await request(`${b.url}/token`, { dispatcher: c.dispatcher })).body.dump();
    await (await request(`${b.url}/v2/y`, { dispatcher: c.dispatcher, headers: { Authorization: 'Bearer realm-token' } })).body.dump();
    await (await request(`${a.url}/v2/z`, { dispatcher: c.dispatcher })).body.dump();
    expect(b.seen.map((h) => h.authorization)).toEqual(['Bearer reg', undefined, 'Bearer realm-token']);
    expect(a.seen[0]?.authorization).toBeUndefined();
  });

  it('re-reads token_path before every request (a rotated token is used at once; token_path wins over token)', async () => {
    const path = join(dir, 'token');
    await writeFile(path, 'first\n');
    const c = client(service(a.url, { credentials: { bearer: { token: 'static', token_path: path } } }));
    await (await c.request(`${a.url}/1`, { method: 'GET' })).body.dump();
    await writeFile(path, 'second\n');
    await (await c.request(`${a.url}/2`, { method: 'GET' })).body.dump();
    expect(a.seen.map((h) => h.authorization)).toEqual(['Bearer first', 'Bearer second']);
    expect(await c.credential()).toEqual({ scheme: 'Bearer', token: 'second' });
  });

  it('an unreadable token file is SERVICE_TOKEN_UNREADABLE naming the service, and nothing is sent', async () => {
    const c = client(service(a.url, { credentials: { bearer: { token_path: join(dir, 'missing') } } }));
    const err = await errorOf(c.request(`${a.url}/x`, { method: 'GET' }));
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.code).toBe('SERVICE_TOKEN_UNREADABLE');
    expect(err.message).toMatch(/service acme.*token_path/);
    expect(a.seen).toEqual([]);
  });

  it('a response-header timeout is SERVICE_TIMEOUT; so is a total timeout', async () => {
    const c = client(service(slow.url, { response_header_timeout_seconds: 0 }));
    const headers = await errorOf(c.request(`${slow.url}/x`, { method: 'GET', headersTimeoutMs: 200 }));
    expect(headers).toBeInstanceOf(ServiceError);
    expect(headers.code).toBe('SERVICE_TIMEOUT');
    expect(headers.message).toMatch(/service acme .*timed out/);
    const total = await errorOf(c.request(`${slow.url}/y`, { method: 'POST', body: 'x', totalTimeoutMs: 200 }));
    expect(total.code).toBe('SERVICE_TIMEOUT');
  });

  it('a refused connection is SERVICE_REQUEST_FAILED, and no message carries the token', async () => {
    const closed = await peer();
    await new Promise((r) => closed.server.close(r));
    const c = client(service(closed.url, { credentials: { bearer: { token: 'never-logged' } } }));
    const err = await errorOf(c.request(`${closed.url}/x`, { method: 'GET' }));
    expect(err.code).toBe('SERVICE_REQUEST_FAILED');
    expect(JSON.stringify({ message: err.message, details: err.details, cause: String(err.cause) })).not.toContain('never-logged');
  });

  it('an unreadable tls.ca_cert is SERVICE_CONFIG_INVALID at construction', () => {
    expect(() => createServiceClient(service(a.url, { tls: { ca_cert: join(dir, 'no-ca.pem') } }))).toThrow(expect.objectContaining({ code: 'SERVICE_CONFIG_INVALID' }));
  });
});
