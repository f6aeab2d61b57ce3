/**
 * deploy/spin/wasmgate-spin: spin runs only after wasmgate allowed the
 * reference. `spin` is a stand-in that records its arguments; wasmgate is a
 * stand-in CLI, a real HTTP server on a Unix socket speaking the Data API, and
 * the real `wasmgate` CLI (bin/wasmgate.js) on a reference it cannot resolve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { chmod, mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingOutsideCi } from '../../support/tools.ts';

const ROOT = join(import.meta.dirname, '../../..');
const WRAPPER = join(ROOT, 'deploy/spin/wasmgate-spin');
const GOOD = 'ghcr.io/myorg/wasm/good@sha256:' + 'c'.repeat(64);
const BAD = 'ghcr.io/myorg/wasm/bad:1.0.0';

interface Run { code: number; stderr: string; spinArgs: string | null; checked: string | null }

describe.skipIf(missingOutsideCi('curl'))('wasmgate-spin', () => {
  let dir: string;
  let socketServer: Server;
  let socketPath: string;
  const bodies: unknown[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-spin-'));
    await writeFile(join(dir, 'spin'), '#!/bin/sh\nprintf "%s " "$@" > "$SPIN_LOG"\nexit 0\n');
    await writeFile(join(dir, 'wasmgate'), [
      '#!/bin/sh',
      'printf "%s " "$@" > "$CHECK_LOG"',
      'case "$2" in *good*) exit 0 ;; *bad*) echo "deny: missing SBOM" >&2; exit 1 ;; *) exit 2 ;; esac',
      '',
    ].join('\n'));
    await chmod(join(dir, 'spin'), 0o755);
    await chmod(join(dir, 'wasmgate'), 0o755);
    socketPath = join(dir, 'wasmgate.sock');
    socketServer = createServer((req, res) => {
      let s = '';
      req.on('data', (d: Buffer) => (s += d.toString())).on('end', () => {
        const body = JSON.parse(s) as { input: { module: { ref: string } } };
        bodies.push({ url: req.url, body });
        const ref = body.input.module.ref;
        if (ref.includes('down')) { res.writeHead(500).end('{"code":"internal_error","message":"boom"}'); return; }
        const allow = ref.includes('good');
        res.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ result: { allow, deny: allow ? [] : ['WASM module missing a valid SLSA provenance attestation.'] }, decision_id: 'd1' }));
      });
    });
    await new Promise<void>((r) => socketServer.listen(socketPath, () => r()));
  });
  afterAll(async () => {
    await new Promise<void>((r) => socketServer.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  async function wrap(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const spinLog = join(dir, `spin-${Math.random()}.log`);
    const checkLog = join(dir, `check-${Math.random()}.log`);
    const code = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(WRAPPER, args, {
        env: { PATH: `${dir}:${process.env.PATH}`, SPIN_LOG: spinLog, CHECK_LOG: checkLog, ...env },
      }, (err, _out, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
    });
    const read = (p: string) => access(p).then(() => readFile(p, 'utf8'), () => null);
    return { ...code, spinArgs: await read(spinLog), checked: await read(checkLog) };
  }

  describe('with the wasmgate CLI', () => {
    it('runs spin up with every original argument when wasmgate allows', async () => {
      const r = await wrap(['up', '-f', GOOD, '--listen', '127.0.0.1:3000']);
      expect(r.code).toBe(0);
      expect(r.checked?.trim()).toBe(`check ${GOOD}`);
      expect(r.spinArgs?.trim()).toBe(`up -f ${GOOD} --listen 127.0.0.1:3000`);
    });

    it('does not run spin when wasmgate denies, and exits 1', async () => {
      const r = await wrap(['up', '--from', BAD]);
      expect(r).toMatchObject({ code: 1, spinArgs: null });
      expect(r.stderr).toMatch(/denied/);
    });

    it('does not run spin when wasmgate cannot decide, and exits 2', async () => {
      const r = await wrap(['up', '--from=registry.example/unknown:1']);
      expect(r).toMatchObject({ code: 2, spinArgs: null });
      expect(r.stderr).toMatch(/could not decide.*fail closed/);
    });

    it('accepts -fREF', async () => {
      expect((await wrap(['up', `-f${GOOD}`])).spinArgs).not.toBeNull();
    });

    it('does not run spin when the wasmgate CLI is missing', async () => {
      const r = await wrap(['up', '-f', GOOD], { WASMGATE_BIN: join(dir, 'no-such-wasmgate') });
      expect(r).toMatchObject({ code: 2, spinArgs: null });
    });
  });

  describe('with the Unix socket', () => {
    it('asks the Data API with the ref and runtime spin, then runs spin on allow', async () => {
      const r = await wrap(['up', '-f', GOOD], { WASMGATE_SOCKET: socketPath });
      expect(r.code).toBe(0);
      expect(r.checked).toBeNull();
      expect(r.spinArgs?.trim()).toBe(`up -f ${GOOD}`);
      expect(bodies.at(-1)).toEqual({ url: '/v1/data/wasm/sbom?verdict', body: { input: { module: { ref: GOOD }, request: { runtime: 'spin' } } } });
    });

    it('prints the deny reasons and does not run spin on deny', async () => {
      const r = await wrap(['up', '-f', BAD], { WASMGATE_SOCKET: socketPath });
      expect(r).toMatchObject({ code: 1, spinArgs: null });
      expect(r.stderr).toMatch(/deny: WASM module missing a valid SLSA provenance attestation/);
    });

    it('fails closed on a server error and on a missing socket', async () => {
      expect(await wrap(['up', '-f', 'ghcr.io/x/down:1'], { WASMGATE_SOCKET: socketPath })).toMatchObject({ code: 2, spinArgs: null });
      expect(await wrap(['up', '-f', GOOD], { WASMGATE_SOCKET: join(dir, 'absent.sock') })).toMatchObject({ code: 2, spinArgs: null });
    });
  });

  describe('guards', () => {
    it('refuses a local application unless WASMGATE_ALLOW_LOCAL=1', async () => {
      await writeFile(join(dir, 'spin.toml'), 'spin_manifest_version = 2\n');
      expect(await wrap(['up', '-f', join(dir, 'spin.toml')])).toMatchObject({ code: 2, spinArgs: null, checked: null });
      expect(await wrap(['up'])).toMatchObject({ code: 2, spinArgs: null });
      expect((await wrap(['up'], { WASMGATE_ALLOW_LOCAL: '1' })).spinArgs?.trim()).toBe('up');
    });

    it('refuses a tag when WASMGATE_REQUIRE_DIGEST=1', async () => {
      const r = await wrap(['up', '-f', 'ghcr.io/myorg/wasm/good:1.0.0'], { WASMGATE_REQUIRE_DIGEST: '1' });
      expect(r).toMatchObject({ code: 2, spinArgs: null, checked: null });
    });

    it('passes other spin subcommands straight through', async () => {
      expect((await wrap(['build', '--up'])).spinArgs?.trim()).toBe('build --up');
    });
  });

  describe('with the real wasmgate CLI', () => {
    it('never starts spin for a reference wasmgate cannot verify', async () => {
      const r = await wrap(['up', '-f', '127.0.0.1:9/nothing/here:1'], { WASMGATE_BIN: join(ROOT, 'bin/wasmgate.js') });
      expect(r.code).not.toBe(0);
      expect(r.spinArgs).toBeNull();
    });
  });

  describe('make-plugin.sh', () => {
    it('packs the wrapper as the Spin plugin `wasmgate` with a manifest whose sha256 matches', async () => {
      const out = join(dir, 'plugin');
      await new Promise<void>((resolve, reject) => execFile(join(ROOT, 'deploy/spin/make-plugin.sh'), [out], (e) => (e ? reject(e) : resolve())));
      const manifest = JSON.parse(await readFile(join(out, 'wasmgate.json'), 'utf8')) as {
        name: string; version: string; spinCompatibility: string; license: string; packages: Array<{ os: string; arch: string; url: string; sha256: string }>;
      };
      expect(manifest).toMatchObject({ name: 'wasmgate', spinCompatibility: '>=2.0', license: 'Apache-2.0' });
      const pkg = manifest.packages[0];
      expect(pkg?.url).toMatch(/^file:\/\/.*\.tar\.gz$/);
      const { createHash } = await import('node:crypto');
      const tarball = await readFile(new URL(pkg?.url ?? '').pathname);
      expect(createHash('sha256').update(tarball).digest('hex')).toBe(pkg?.sha256);
      const listing = await new Promise<string>((resolve, reject) =>
        execFile('tar', ['-tvzf', new URL(pkg?.url ?? '').pathname], (e, o) => (e ? reject(e) : resolve(o))));
      expect(listing).toMatch(/^-rwxr-xr-x .* wasmgate$/m);
    });
  });
});
