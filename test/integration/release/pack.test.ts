/**
 * Issue 13 items 1 and 2: `npm pack` yields a package that works installed into an empty directory,
 * running the compiled build (dist/) with no TypeScript sources and no access to the source tree: every
 * path to shipped data (schemas, demo store and trusted root, bundle, RustSec database, policies)
 * resolves from the installed package's root.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packRelease } from '../../../scripts/release/pack.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';

const run = promisify(execFile);

interface Ran { code: number; stdout: string; stderr: string }

describe.skipIf(missingOutsideCi('opa'))('npm pack → npm install into an empty directory', () => {
  let work: string;
  let app: string;
  let tarball: string;
  // Only the Node.js binary's folder and the system folders: no repo node_modules/.bin, no .tools/bin.
  const nodeDir = dirname(process.execPath);
  const bareEnv = { ...process.env, PATH: [nodeDir, '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter), WASMGATE_ROOT: '' };

  /** `npx wasmgate …` as an operator types it, or the installed bin link directly (quicker: no npx start-up). */
  async function wasmgate(args: string[], env: NodeJS.ProcessEnv = bareEnv, via: 'npx' | 'bin' = 'bin'): Promise<Ran> {
    const [cmd, pre] = via === 'npx' ? ['npx', ['--no-install', 'wasmgate']] : [join(app, 'node_modules', '.bin', 'wasmgate'), []];
    try {
      const { stdout, stderr } = await run(cmd, [...pre, ...args], { cwd: app, env, maxBuffer: 16 << 20 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'wasmgate-pack-test-'));
    tarball = await packRelease(join(work, 'out'));
    app = join(work, 'app');
    await run('mkdir', ['-p', app]);
    await writeFile(join(app, 'package.json'), '{"name":"operator-app","private":true}\n');
    // The npm cache first (filled by the project's own install), the registry for what it lacks.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, env: bareEnv, maxBuffer: 16 << 20 });
  }, 300_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs only what the package needs: the compiled build, shipped data, no sources, tests or scripts', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    expect(files).toContain('dist/src/cli/main.js');
    expect(files).toContain('bin/wasmgate.js');
    expect(files).toContain('bundles/wasm-sbom.tar.gz');
    expect(files).toContain('demo/trusted_root.json');
    expect(files).toContain('demo/osv/rustsec-osv-all.zip');
    expect(files).toContain('src/analyse/vulns/schemas/osv.schema.json');
    expect(files).toContain('src/analyse/sbom/schemas/bom-1.6.schema.json');
    expect(files).toContain('policies/capabilities.json');
    const allowed = /^(package\.json|README\.md|LICENSE|bin\/wasmgate\.js|dist\/src\/.*\.(js|json)|src\/analyse\/(vulns|sbom)\/schemas\/[^/]+|src\/verify\/roots\/[^/]+|bundles\/wasm-sbom\.tar\.gz|policies\/.+|demo\/.+)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
  });

  it('installs a real copy (no link back into the source tree)', async () => {
    const installed = await realpath(join(app, 'node_modules', 'wasmgate'));
    expect(installed.startsWith(await realpath(app))).toBe(true);
    expect(await readdir(join(installed, 'dist', 'src', 'cli'))).toContain('main.js');
  });

  it('check: allows payments and denies vulnerable from the shipped demo store and trusted root', async () => {
    // --deadline: the embedded default's 900 ms budget is for a quiet machine; the suite shares two cores
    const ok = await wasmgate(['check', 'oci:node_modules/wasmgate/demo/store:payments', '--deadline', '60000'], bareEnv, 'npx');
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^ALLOW {2}oci:node_modules\/wasmgate\/demo\/store:payments \(sha256:f3e231f1/);
    expect(ok.code).toBe(0);
    const bad = await wasmgate(['check', 'oci:node_modules/wasmgate/demo/store:vulnerable', '--deadline', '60000']);
    expect(bad.stdout).toContain('WASM module SBOM contains 1 critical vulnerabilities.');
    expect(bad.code).toBe(1);
  });

  it('scan: validates a CycloneDX SBOM against the shipped schema and matches the shipped RustSec database', async () => {
    const sbom = {
      bomFormat: 'CycloneDX', specVersion: '1.6', version: 1,
      components: [{ type: 'library', name: 'smallvec', version: '1.6.0', purl: 'pkg:cargo/smallvec@1.6.0' }],
    };
    await writeFile(join(app, 'sbom.json'), JSON.stringify(sbom));
    const r = await wasmgate(['scan', 'sbom.json', '--db', 'node_modules/wasmgate/demo/osv/rustsec-osv-all.zip', '--json']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('RUSTSEC-2021-0003');
  });

  it('inspect: reads the module from the shipped demo store', async () => {
    const r = await wasmgate(['inspect', 'oci:node_modules/wasmgate/demo/store:vulnerable', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'module' });
  });

  it('bundle build: compiles the shipped policies with opa, and says clearly when opa is missing', async () => {
    const opa = requireTool('opa');
    const withOpa = { ...bareEnv, PATH: [dirname(opa), bareEnv.PATH].join(delimiter) };
    const built = await wasmgate(['bundle', 'build', '--out', join(app, 'bundle.tar.gz')], withOpa);
    expect(built.stderr).toBe('');
    expect(built.stdout).toMatch(/^wrote .*bundle\.tar\.gz \(revision src-[0-9a-f]{16}; entrypoints wasm\/sbom, wasm\/sbom\/allow, wasm\/sbom\/deny/);
    const missing = await wasmgate(['bundle', 'build', '--out', join(app, 'bundle2.tar.gz')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('OPA_NOT_FOUND: bundle build needs OPA');
    expect(missing.stderr).toContain('--opa <path>');
  });

  it('serve: answers on the embedded default (shipped bundle, demo trust)', async () => {
    const child = spawn('npx', ['--no-install', 'wasmgate', 'serve', '--addr', '127.0.0.1:0'], { cwd: app, env: bareEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let log = '';
        const timer = setTimeout(() => reject(new Error(`wasmgate serve did not start:\n${log}`)), 30_000);
        const onData = (b: Buffer): void => {
          log += b.toString();
          const m = /"addresses":\["([^"]+)"/.exec(log);
          if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`wasmgate serve exited ${code}:\n${log}`)); });
      });
      const ask = async (request?: Record<string, unknown>): Promise<{ result?: { allow?: boolean; digest?: string; deny?: string[] } }> => (await fetch(`http://${address}/v1/data/wasm/sbom?verdict`, {
        method: 'POST',
        body: JSON.stringify({ input: { module: { ref: 'oci:node_modules/wasmgate/demo/store:payments' }, ...(request ? { request } : {}) } }),
      })).json() as Promise<{ result?: { allow?: boolean; digest?: string; deny?: string[] } }>;
      // the embedded default's 900 ms deadline can pass on a loaded machine: only a timeout is asked again
      let body = await ask();
      for (let i = 0; i < 5 && body.result?.deny?.some((d) => d.startsWith('timeout:')); i++) body = await ask();
      expect(body.result).toMatchObject({ allow: true, digest: 'sha256:f3e231f14ab794ff09fb42e271f3e2f19fc57ca535129e634cf3f6f13db3de99' });
      // uncached decisions (another request context each) are evaluated on the pool's worker threads, which the
      // compiled build must be able to start (its worker module is .js, not the sources' .ts)
      type Pool = { completed: number; crashed: number };
      const pool = async (): Promise<Pool> => ((await (await fetch(`http://${address}/v1/status`)).json()) as { result: { caches: { evaluation_pool: Pool } } }).result.caches.evaluation_pool;
      for (let i = 0; i < 40 && (await pool()).completed === 0; i++) {
        const d = await ask({ labels: { n: String(i) } });
        if (d.result?.deny?.some((m) => m.startsWith('timeout:'))) continue;
        expect(d.result).toMatchObject({ allow: true, deny: [] });
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await pool()).toMatchObject({ crashed: 0 });
      expect((await pool()).completed).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
