import type { ListenersConfig } from '../../config/types.ts';
import { ListenError } from './error.ts';

export type ListenTarget =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string; mode: number }
  | { kind: 'fd'; fd: number; name: string };

/** The first fd systemd passes (SD_LISTEN_FDS_START). */
export const SD_LISTEN_FDS_START = 3;

/**
 * systemd socket activation: when LISTEN_PID is this process and LISTEN_FDS > 0,
 * the listeners are fds 3…3+n-1 (named by LISTEN_FDNAMES). The variables are
 * removed so that children do not inherit them.
 */
export function systemdTargets(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): ListenTarget[] {
  const count = Number(env.LISTEN_FDS ?? '0');
  if (!env.LISTEN_PID || Number(env.LISTEN_PID) !== pid || !Number.isInteger(count) || count <= 0) return [];
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  return Array.from({ length: count }, (_, i) => ({ kind: 'fd' as const, fd: SD_LISTEN_FDS_START + i, name: names[i] || `fd${SD_LISTEN_FDS_START + i}` }));
}

export function parseTcpAddress(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new ListenError('LISTEN_ADDRESS_INVALID', `listen address ${JSON.stringify(addr)} is not host:port: use e.g. "127.0.0.1:8181" or "[::1]:8181"`);
  }
  return { host: m[1] ?? m[2]!, port };
}

/** Socket activation wins; otherwise the configured TCP address and/or Unix socket. */
export function listenTargets(listeners: ListenersConfig, env: NodeJS.ProcessEnv = process.env): ListenTarget[] {
  const sd = systemdTargets(env);
  if (sd.length > 0) return sd;
  const out: ListenTarget[] = [];
  if (listeners.tcp !== null) out.push({ kind: 'tcp', ...parseTcpAddress(listeners.tcp) });
  if (listeners.unix !== null) out.push({ kind: 'unix', path: listeners.unix.path, mode: parseInt(listeners.unix.mode, 8) });
  if (out.length === 0) {
    throw new ListenError('LISTEN_ADDRESS_INVALID', 'no listener configured: set listeners.tcp (e.g. "127.0.0.1:8181") or listeners.unix.path, or pass --addr / --unix-socket');
  }
  return out;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
