import { chmod, lstat, stat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Logger } from '../../common/logger.ts';
import { ListenError } from './error.ts';
import { isLoopback, type ListenTarget } from './targets.ts';

export interface BoundListener {
  target: ListenTarget;
  server: Server;
  /** `127.0.0.1:8181`, `unix:/run/wasmgate.sock`, `fd:3` */
  address: string;
  /** the port actually bound (TCP) */
  port?: number;
}

export interface Listeners {
  readonly bound: readonly BoundListener[];
  /** stops accepting, lets in-flight requests finish within `graceMs`, then cuts what is left; removes our sockets */
  close(graceMs: number): Promise<void>;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

// Removes a socket file left by a dead process; refuses to touch a live socket or a non-socket file.
export async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ListenError('LISTEN_FAILED', `cannot inspect ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!st.isSocket()) {
    throw new ListenError('SOCKET_PATH_OCCUPIED', `${path} exists and is not a socket: remove it or choose another listeners.unix.path`);
  }
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
  if (alive) throw new ListenError('SOCKET_IN_USE', `another process is listening on ${path}: stop it or choose another listeners.unix.path`);
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw new ListenError('LISTEN_FAILED', `cannot remove the stale socket ${path}: ${err.message}`, { cause: err });
  });
}

function tune(server: Server): void {
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 100;
}

async function bind(target: ListenTarget, listener: RequestListener, logger?: Logger): Promise<BoundListener & { ino?: number }> {
  const server = createServer({ noDelay: true }, listener);
  tune(server);
  const listen = (arg: Parameters<Server['listen']>[0]): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new ListenError('LISTEN_FAILED', `cannot listen on ${describe(target)}: ${err.message}`, { cause: err }));
      server.once('error', onError);
      server.listen(arg, () => {
        server.off('error', onError);
        resolve();
      });
    });
  switch (target.kind) {
    case 'tcp': {
      if (!isLoopback(target.host)) logger?.warn({ host: target.host }, 'listening on a non-loopback address: anyone who can reach it can ask for decisions');
      await listen({ host: target.host, port: target.port, exclusive: true });
      const a = server.address();
      const port = typeof a === 'object' && a !== null ? a.port : target.port;
      const host = target.host.includes(':') ? `[${target.host}]` : target.host;
      return { target, server, address: `${host}:${port}`, port };
    }
    case 'unix': {
      await removeStaleSocket(target.path);
      // The socket is created with the final mode (no window where it is wider), then chmod'ed exactly.
      const old = process.umask(0o777 & ~target.mode);
      try {
        await listen({ path: target.path, exclusive: true });
      } finally {
        process.umask(old);
      }
      await chmod(target.path, target.mode);
      const { ino } = await stat(target.path);
      return { target, server, address: `unix:${target.path}`, ino };
    }
    case 'fd':
      await listen({ fd: target.fd });
      return { target, server, address: `fd:${target.fd}` };
  }
}

function describe(t: ListenTarget): string {
  return t.kind === 'tcp' ? `${t.host}:${t.port}` : t.kind === 'unix' ? `unix:${t.path}` : `fd ${t.fd}`;
}

/** Binds every target with the same request listener; on a failure, closes what was bound. */
export async function startListeners(targets: readonly ListenTarget[], listener: RequestListener, logger?: Logger): Promise<Listeners> {
  const bound: Array<BoundListener & { ino?: number }> = [];
  try {
    for (const t of targets) bound.push(await bind(t, listener, logger));
  } catch (err) {
    await Promise.all(bound.map((b) => closeOne(b, 0)));
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    bound,
    close(graceMs) {
      closing ??= Promise.all(bound.map((b) => closeOne(b, graceMs))).then(() => undefined);
      return closing;
    },
  };
}

async function closeOne(b: BoundListener & { ino?: number }, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => b.server.close(() => resolve()));
  b.server.closeIdleConnections();
  // connections that finish their request become idle: close them as they do, cut the rest at the deadline
  const sweep = setInterval(() => b.server.closeIdleConnections(), 25);
  const deadline = setTimeout(() => b.server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
  if (b.target.kind === 'unix' && b.ino !== undefined) {
    // remove the socket only if it is still the one we created
    const st = await lstat(b.target.path).catch(() => undefined);
    if (st?.isSocket() && st.ino === b.ino) await unlink(b.target.path).catch(() => undefined);
  }
}
