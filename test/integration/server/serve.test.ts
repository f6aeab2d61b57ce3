import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPAClient } from '@styra/opa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingOutsideCi } from '../../support/tools.ts';
import { curl, freePort, socketExists, spawnProcess, waitFor, WASMGATE, type Spawned } from './helpers.ts';

const D = `sha256:${'e'.repeat(64)}`;

describe.skipIf(missingOutsideCi('curl'))('wasmgate serve (spawned)', () => {
  let dir: string;
  let sock: string;
  let port: number;
  let proc: Spawned;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wg-serve-'));
    sock = join(dir, 'wasmgate.sock');
    port = await freePort();
    const config = join(dir, 'config.yaml');
    await writeFile(config, `listeners:\n  tcp: "127.0.0.1:${port}"\n  unix: {path: "${sock}"}\nregistries: {allow: [reg.example]}\ndecision: {deadline_ms: 500}\n`);
    proc = spawnProcess(process.execPath, [WASMGATE, 'serve', '--config', config]);
    await waitFor(async () => socketExists(sock) && (await fetch(`http://127.0.0.1:${port}/health`)).ok, 'wasmgate serve to listen', proc.output);
  });

  afterAll(async () => {
    if (proc.child.exitCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the socket with mode 0660', async () => {
    expect((await stat(sock)).mode & 0o777).toBe(0o660);
  });

  it('answers curl --unix-socket in OPA\'s shape, failing closed', async () => {
    const { stdout } = await curl(['--unix-socket', sock, '-X', 'POST', '-H', 'content-type: application/json', '--data', JSON.stringify({ input: { module: { ref: `reg.example/app@${D}` } } }), 'http://localhost/v1/data/wasm/sbom?verdict']);
    const body = JSON.parse(stdout) as { result: { allow: boolean; deny: string[]; digest: string }; decision_id: string };
    expect(body.result.allow).toBe(false);
    expect(body.result.deny.length).toBeGreaterThan(0);
    expect(body.result.digest).toBe(D);
    expect(body.decision_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a real OPA client (@styra/opa) over TCP on the decision path', async () => {
    const opa = new OPAClient(`http://127.0.0.1:${port}`);
    const result = await opa.evaluate<{ module: { ref: string } }, { allow: boolean; deny: string[] }>('wasm/sbom', { module: { ref: `reg.example/app@${D}` } });
    expect(result.allow).toBe(false);
    expect(await opa.evaluate('wasm/sbom/allow', { module: { ref: `reg.example/app@${D}` } })).toBe(false);
  });

  it('rejects bad requests with a clear 4xx and keeps running', async () => {
    const bad = async (body: string, path = '/v1/data/wasm/sbom'): Promise<number> => (await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body })).status;
    expect(await bad('{"input":')).toBe(400);
    expect(await bad(JSON.stringify({ input: { pad: 'x'.repeat(2 * 1024 * 1024) } }))).toBe(413);
    expect(await bad(`{"input":${'['.repeat(10_000)}${']'.repeat(10_000)}}`)).toBe(400);
    expect(await bad(JSON.stringify({ input: { module: { ref: 'reg.example/app@sha256:123' } } }))).toBe(400);
    expect(await bad(JSON.stringify({ input: { module: { ref: 'other.example/app:1' } } }))).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('shuts down on SIGTERM: exits 0 and removes the socket', async () => {
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(socketExists(sock)).toBe(false);
    expect(proc.output()).toContain('wasmgate stopped');
  });
});

describe.skipIf(missingOutsideCi('systemd-socket-activate'))('wasmgate serve with systemd socket activation', () => {
  it('serves on the fd systemd-socket-activate passes (LISTEN_FDS)', async () => {
    const port = await freePort();
    const p = spawnProcess('systemd-socket-activate', ['-l', `127.0.0.1:${port}`, process.execPath, WASMGATE, 'serve']);
    try {
      await waitFor(() => p.output().includes('Listening on'), 'systemd-socket-activate to listen', p.output);
      // the first connection starts wasmgate, which takes over the listening fd
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(res.status).toBe(200);
      await waitFor(() => p.output().includes('fd:3'), 'wasmgate to report fd:3', p.output);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });
});
