import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const WASMGATE = `${ROOT}bin/wasmgate.js`;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Polls until `check` is true (readiness of a spawned process), failing with the process output. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, output: () => string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; output:\n${output()}`);
}

export interface Spawned {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function spawnProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, WASMGATE_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

export const socketExists = (p: string): boolean => existsSync(p);

/** Runs curl (the real client) and returns its stdout. */
export async function curl(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const p = spawnProcess('curl', ['-sS', ...args]);
  const code = await p.exited;
  return { code, stdout: p.output() };
}
