import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { anonymousCredentials, RegistryClient } from '../../../src/registry/index.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A loopback registry that answers manifest HEADs and counts the TCP connections it accepts. */
async function headOnlyRegistry(): Promise<{ host: string; connections: () => number; heads: () => number; server: Server }> {
  let connections = 0;
  let heads = 0;
  const server = createServer((req, res) => {
    if (req.method === 'HEAD' && req.url === '/v2/app/manifests/v1') {
      heads++;
      res.writeHead(200, { 'docker-content-digest': DIGEST, 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': '505' });
      res.end();
      return;
    }
    res.writeHead(404).end();
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, heads: () => heads, server };
}

describe('tag resolution over HTTP', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('keeps connections for the next HEAD: repeated tag resolutions do not open a connection each', async () => {
    const registry = await headOnlyRegistry();
    server = registry.server;
    const client = new RegistryClient({ credentials: anonymousCredentials, retries: 0 });
    for (let i = 0; i < 10; i++) expect(await client.resolveTag(`${registry.host}/app`, 'v1')).toBe(DIGEST);
    expect(registry.heads()).toBe(10);
    // undici's pool may hand the next request to a second kept-alive connection while the first finishes
    expect(registry.connections()).toBeLessThanOrEqual(2);
  });
});
