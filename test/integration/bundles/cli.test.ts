import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddedBundlePath } from '../../../src/policy/engine/index.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { REPO, execFileAsync, opaBuild, tempDir, writeKeyPair } from './support.ts';

const wasmgate = (args: string[], cwd?: string) => execFileAsync(process.execPath, [join(REPO, 'bin', 'wasmgate.js'), ...args], cwd === undefined ? {} : { cwd });
const fails = (args: string[]) => wasmgate(args).then(() => undefined, (e: unknown) => e as { code: number; stdout: string; stderr: string });

describe.skipIf(missingOutsideCi('opa'))('wasmgate bundle sign / inspect', () => {
  it('signs a tar.gz that `opa build --verification-key` accepts, and inspect verifies it', async () => {
    const dir = await tempDir('cli');
    const keys = await writeKeyPair(dir, 'rsa', 'k');
    const bundle = join(dir, 'a.tar.gz');
    await opaBuild({ fixture: 'swap-a', revision: 'cli-a', out: bundle, selftests: true });
    const signed = join(dir, 'signed.tar.gz');
    const { stdout } = await wasmgate(['bundle', 'sign', bundle, '--signing-key', keys.privateKey, '-o', signed]);
    expect(stdout).toContain('signed 5 file(s) with RS256');
    // the real OPA verifies wasmgate's signature
    await execFileAsync(requireTool('opa'), ['build', '-b', signed, '--verification-key', keys.publicKey, '-o', join(dir, 'opa-out.tar.gz')]);

    const inspected = JSON.parse((await wasmgate(['bundle', 'inspect', signed, '--json', '--verification-key', keys.publicKey])).stdout) as Record<string, unknown>;
    expect(inspected).toMatchObject({
      revision: 'cli-a', roots: ['swap'], entrypoints: ['swap', 'swap/answer'], builtins: [],
      signature: { status: 'verified', keyid: 'default' }, selftest: { total: 2, passed: 2, failures: [] }, ok: true,
    });
  });

  it('signs a directory bundle with HS256 and a scope; inspect exits 1 on a wrong key or scope', async () => {
    const dir = await tempDir('cli-dir');
    const bundle = join(dir, 'a.tar.gz');
    await opaBuild({ fixture: 'swap-a', revision: 'cli-dir', out: bundle });
    const unpacked = join(dir, 'unpacked');
    await execFileAsync('mkdir', ['-p', unpacked]);
    await execFileAsync('tar', ['xzf', bundle, '-C', unpacked]);
    await wasmgate(['bundle', 'sign', unpacked, '--signing-key', 's3cret', '--signing-alg', 'HS256', '--scope', 'read']);
    expect(JSON.parse(await readFile(join(unpacked, '.signatures.json'), 'utf8'))).toHaveProperty('signatures');
    const ok = await wasmgate(['bundle', 'inspect', unpacked, '--verification-key', 's3cret', '--signing-alg', 'HS256', '--scope', 'read']);
    expect(ok.stdout).toMatch(/signature: +verified/);
    const badScope = await fails(['bundle', 'inspect', unpacked, '--verification-key', 's3cret', '--signing-alg', 'HS256']);
    expect(badScope?.code).toBe(1);
    expect(badScope?.stdout).toContain('scope mismatch');
    const unverified = await wasmgate(['bundle', 'inspect', unpacked]);
    expect(unverified.stdout).toMatch(/signature: +signed: not verified/);
  });

  it('inspect reports failing self-tests and exits 1', async () => {
    const dir = await tempDir('cli-st');
    const keys = await writeKeyPair(dir, 'ec', 'k');
    const b = join(dir, 'b.tar.gz');
    await opaBuild({ fixture: 'swap-b', revision: 'b', out: b });
    const unpacked = join(dir, 'b');
    await execFileAsync('mkdir', ['-p', join(unpacked, 'tests')]);
    await execFileAsync('tar', ['xzf', b, '-C', unpacked]);
    await copyFile(join(REPO, 'test', 'fixtures', 'bundles', 'swap-a', 'tests', 'answers.json'), join(unpacked, 'tests', 'answers.json'));
    await wasmgate(['bundle', 'sign', unpacked, '--signing-key', keys.privateKey, '--signing-alg', 'ES256']);
    const r = await fails(['bundle', 'inspect', unpacked]);
    expect(r?.code).toBe(1);
    expect(r?.stdout).toContain('self-tests:  0/2 passed');
    expect(r?.stdout).toContain('FAIL a allows positive n');
  });

  it('the shipped bundle carries its self-tests from policies/selftest and they pass', async () => {
    const { stdout } = await wasmgate(['bundle', 'inspect', embeddedBundlePath()]);
    expect(stdout).toMatch(/self-tests: +\d+\/\d+ passed/);
    const m = /self-tests: +(\d+)\/(\d+)/.exec(stdout);
    expect(Number(m?.[1])).toBeGreaterThan(0);
    expect(m?.[1]).toBe(m?.[2]);
  });
});
