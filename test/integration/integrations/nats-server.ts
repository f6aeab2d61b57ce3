import { spawn, type ChildProcess } from 'node:child_process';
import { requireTool } from '../../support/tools.ts';

/** A real nats-server on 127.0.0.1 with a random port, started and stopped by the test. */
export interface NatsPeer {
  url: string;
  stop(): Promise<void>;
}

export async function startNatsServer(): Promise<NatsPeer> {
  const bin = requireTool('nats-server');
  const child: ChildProcess = spawn(bin, ['-a', '127.0.0.1', '-p', '-1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString();
      const m = /Listening for client connections on (127\.0\.0\.1:\d+)/.exec(buf);
      if (m?.[1]) {
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        resolve(`nats://${m[1]}`);
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${buf}`)));
  });
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
