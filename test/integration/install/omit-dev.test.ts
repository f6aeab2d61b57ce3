/**
 * The production install of deploy/systemd (`npm ci --omit=dev` in a copy of the package) runs every command:
 * nothing imported at run time may be a devDependency. The copy is what `npm pack` ships, plus the repository's
 * lockfile (what a clone has); npm installs from its local cache when it can (--prefer-offline), else from the
 * registry.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { x as untar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function wasmgate(dir: string, args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(dir, 'bin/wasmgate.js'), ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('npm ci --omit=dev (the systemd install)', () => {
  let work: string;
  let pkg: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'wasmgate-omit-dev-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
    const packed = JSON.parse(stdout) as Array<{ filename: string }>;
    await untar({ file: join(work, packed[0]!.filename), cwd: work });
    pkg = join(work, 'package');
    await copyFile(join(REPO, 'package-lock.json'), join(pkg, 'package-lock.json'));
    await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: pkg, maxBuffer: 64 * 1024 * 1024 });
  }, 600_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs no devDependency', async () => {
    const manifest = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const dep of Object.keys(manifest.dependencies)) expect({ dep, installed: existsSync(join(pkg, 'node_modules', dep)) }).toEqual({ dep, installed: true });
    for (const dep of Object.keys(manifest.devDependencies)) {
      if (dep in manifest.dependencies) continue;
      expect({ dep, installed: existsSync(join(pkg, 'node_modules', dep, 'package.json')) }).toEqual({ dep, installed: false });
    }
  });

  it('runs the commands: check decides (deny on a Critical advisory, allow the clean module), --help lists every command', async () => {
    const vulnerable = await wasmgate(pkg, ['check', 'oci:demo/store:vulnerable']);
    expect(vulnerable.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(vulnerable.stdout).toContain('WASM module SBOM contains 1 critical vulnerabilities.');
    expect(vulnerable.code).toBe(1);
    const clean = await wasmgate(pkg, ['check', 'oci:demo/store:payments']);
    expect(clean.stdout).toMatch(/^ALLOW /);
    expect(clean.code).toBe(0);
    const help = await wasmgate(pkg, ['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'check', 'evidence', 'scan', 'inspect', 'bundle']) expect(help.stdout).toContain(command);
  }, 120_000);
});
