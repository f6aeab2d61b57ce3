import { spawn, type ChildProcess } from 'node:child_process';
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
