import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { freePort } from './registries.ts';
import { requireTool } from './tools.ts';

export interface RunningRedis {
  port: number;
  url: string;
  /** a client for the test itself */
  client(): Redis;
  stop(): Promise<void>;
  /** starts the server again on the same port (after stop) */
  start(): Promise<void>;
}

/** A real redis-server on loopback, without persistence, for one test file. */
export async function startRedis(): Promise<RunningRedis> {
  const bin = requireTool('redis-server');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const clients: Redis[] = [];
  const start = async (): Promise<void> => {
    child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' });
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined); // refused until the server listens
    const until = Date.now() + 15_000;
    for (;;) {
      try {
        if (probe.status !== 'ready') await probe.connect();
        if ((await probe.ping()) === 'PONG') break;
      } catch {
        if (Date.now() > until) throw new Error(`redis-server did not come up on port ${port}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    probe.disconnect();
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    client() {
      const c = new Redis({ port, host: '127.0.0.1' });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients.splice(0)) c.disconnect();
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    start,
  };
}

/** A TCP server that answers every byte with garbage that is not RESP: a broken or hostile cache. */
export async function startGarbageServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((sock) => {
    sock.on('data', () => sock.write('\x00\xffnot-resp\r\n?!garbage\r\n'));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `redis://127.0.0.1:${port}/0`, stop: () => new Promise((r) => server.close(() => r())) };
}

export interface RunningTlsRedis {
  port: number;
  /** `rediss://localhost:<port>/0` (the certificate names localhost and 127.0.0.1) */
  url: string;
  /** the CA that signed the server certificate (PEM file) */
  caCert: string;
  /** a client for the test itself, as an admin user */
  admin(): Redis;
  stop(): Promise<void>;
}

/**
 * A real redis-server on loopback that speaks TLS only (a CA and server certificate made here with openssl), with
 * the `default` user off, an `admin` user for the test, and the ACL lines given (`user <name> on >password …`).
 */
export async function startTlsRedis(dir: string, aclUsers: string[]): Promise<RunningTlsRedis> {
  const bin = requireTool('redis-server');
  const openssl = requireTool('openssl');
  const run = (args: string[]): Promise<void> => new Promise((resolve, reject) => {
    const p = spawn(openssl, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`openssl ${args[0]} failed: ${err}`))));
  });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=wasmgate-test-ca']);
  await run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.ext']);
  const port = await freePort();
  const adminPassword = randomBytes(16).toString('hex');
  await writeFile(join(dir, 'redis.conf'), [
    'port 0', `tls-port ${port}`, 'bind 127.0.0.1', 'save ""', 'appendonly no',
    `tls-cert-file ${join(dir, 'server.crt')}`, `tls-key-file ${join(dir, 'server.key')}`, `tls-ca-cert-file ${join(dir, 'ca.crt')}`,
    'tls-auth-clients no',
    'user default off',
    `user admin on >${adminPassword} ~* &* +@all`,
    ...aclUsers,
    '',
  ].join('\n'));
  const child = spawn(bin, [join(dir, 'redis.conf')], { stdio: 'ignore' });
  const ca = await readFile(join(dir, 'ca.crt'));
  const clients: Redis[] = [];
  const admin = (): Redis => {
    const c = new Redis({ port, host: '127.0.0.1', username: 'admin', password: adminPassword, tls: { ca, servername: 'localhost' }, lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const probe = admin();
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      if (probe.status !== 'ready') await probe.connect();
      if ((await probe.ping()) === 'PONG') break;
    } catch {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`redis-server (TLS) did not come up on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    url: `rediss://localhost:${port}/0`,
    caCert: join(dir, 'ca.crt'),
    admin,
    async stop() {
      for (const c of clients.splice(0)) c.disconnect();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
