import { cp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseTar } from '../../../src/policy/engine/archive.ts';
import { NATIVE_WASM_BUILTINS, SDK_BUILTINS, embeddedBundlePath, loadBundleFile } from '../../../src/policy/engine/index.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { REPO, execFileAsync, tempDir } from './support.ts';

async function bundleFiles(path: string): Promise<Map<string, Uint8Array>> {
  return parseTar(gunzipSync(await readFile(path)));
}

describe.skipIf(missingOutsideCi('opa'))('wasmgate bundle build', () => {
  it('reproduces the committed bundles/wasm-sbom.tar.gz from policies/ (run `wasmgate bundle build --force` after editing policies/)', async () => {
    const opa = requireTool('opa');
    const out = join(await tempDir('build'), 'rebuilt.tar.gz');
    const { stdout } = await execFileAsync(process.execPath, [join(REPO, 'bin', 'wasmgate.js'), 'bundle', 'build', '--out', out, '--opa', opa]);
    expect(stdout).toContain('wrote');
    expect(stdout).toMatch(/1 self-test file\(s\), [1-9][0-9]* case\(s\) passed/);
    const rebuilt = await bundleFiles(out);
    const committed = await bundleFiles(embeddedBundlePath());
    expect(new TextDecoder().decode(committed.get('.manifest'))).toBe(new TextDecoder().decode(rebuilt.get('.manifest')));
    expect(Buffer.compare(Buffer.from(committed.get('policy.wasm') ?? []), Buffer.from(rebuilt.get('policy.wasm') ?? []))).toBe(0);
    expect(new TextDecoder().decode(committed.get('data.json'))).toBe(new TextDecoder().decode(rebuilt.get('data.json')));
  });

  it('leaves tests and the capabilities file out of the bundle', async () => {
    const names = [...(await bundleFiles(embeddedBundlePath())).keys()];
    expect(names.filter((n) => n.endsWith('_test.rego') || n.endsWith('capabilities.json'))).toEqual([]);
  });

  it('fails with BUNDLE_BUILD_FAILED and opa\'s message when the policy uses a builtin outside the capabilities', async () => {
    const opa = requireTool('opa');
    const dir = await tempDir('caps');
    const err = await execFileAsync(process.execPath, [
      join(REPO, 'bin', 'wasmgate.js'), 'bundle', 'build', '--policies', join(REPO, 'test', 'fixtures', 'policy', 'rego', 'needs-time'),
      '--capabilities', join(REPO, 'policies', 'capabilities.json'), '--out', join(dir, 'x.tar.gz'), '--opa', opa, '-e', 't/recent',
    ]).then(() => undefined, (e: unknown) => e as { code: number; stderr: string });
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain('BUNDLE_BUILD_FAILED');
    expect(err?.stderr).toContain('time.now_ns');
  });

  const build = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    execFileAsync(process.execPath, [join(REPO, 'bin', 'wasmgate.js'), 'bundle', 'build', '--opa', requireTool('opa'), ...args])
      .then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }), (e: { code: number; stdout: string; stderr: string }) => e);

  it('refuses to overwrite the shipped bundle unless --out or --force asks (issue 20.2)', async () => {
    const before = await stat(embeddedBundlePath());
    const r = await build([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('BUNDLE_OUTPUT_EXISTS');
    expect(r.stderr).toContain('--out <file>');
    expect(r.stderr).toContain('--force');
    expect((await stat(embeddedBundlePath())).mtimeMs).toBe(before.mtimeMs);
  });

  it('runs the self-tests on the built bundle: a failing case fails the build with its name and reason, and nothing is written (issue 13.4)', async () => {
    const dir = await tempDir('selftest-fail');
    await cp(join(REPO, 'policies'), join(dir, 'policies'), { recursive: true });
    await writeFile(join(dir, 'policies', 'selftest', 'operator.json'), JSON.stringify({ cases: [{ name: 'an unsigned module is allowed', path: 'wasm/sbom/allow', input: { sbom_attestations: [] }, expect: true }] }));
    const out = join(dir, 'out.tar.gz');
    const r = await build(['--policies', join(dir, 'policies'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('BUNDLE_SELFTEST_FAILED');
    expect(r.stderr).toContain('an unsigned module is allowed: wasm/sbom/allow is false, expected true');
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });

  it('refuses policy data that still pins identities or keys: they live in the trust configuration\'s roles now', async () => {
    const dir = await tempDir('moved');
    await cp(join(REPO, 'policies'), join(dir, 'policies'), { recursive: true });
    const dataPath = join(dir, 'policies', 'data.json');
    const data = JSON.parse(await readFile(dataPath, 'utf8')) as { wasm: { sbom: { config: Record<string, unknown> } } };
    data.wasm.sbom.config.sbom_identity = { subject: 'https://github.com/neworg/app/.github/workflows/build.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' };
    await writeFile(dataPath, JSON.stringify(data));
    const r = await build(['--policies', join(dir, 'policies'), '--out', join(dir, 'out.tar.gz')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('BUNDLE_DATA_MOVED');
    expect(r.stderr).toContain('wasm.sbom.config.sbom_identity is no longer read by the policy');
    expect(r.stderr).toContain('trust.keyless[].roles');
  });
});

describe('the shipped bundle', () => {
  it('loads with the three entrypoints and needs only SDK builtins', async () => {
    const b = await loadBundleFile(embeddedBundlePath(), { requiredEntrypoints: ['wasm/sbom', 'wasm/sbom/allow', 'wasm/sbom/deny'] });
    expect([...b.entrypoints].sort()).toEqual(['wasm/sbom', 'wasm/sbom/allow', 'wasm/sbom/deny']);
    expect(b.builtins.every((n) => SDK_BUILTINS.includes(n))).toBe(true);
    expect(b.revision).toMatch(/^src-[0-9a-f]{16}$/);
    expect(b.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('has a capabilities file admitting only builtins the wasm engine can run', async () => {
    const caps = JSON.parse(await readFile(join(REPO, 'policies', 'capabilities.json'), 'utf8')) as { builtins: Array<{ name: string }> };
    const allowed = new Set([...NATIVE_WASM_BUILTINS, ...SDK_BUILTINS, 'eq', 'assign', 'print', 'internal.print']);
    expect(caps.builtins.map((b) => b.name).filter((n) => !allowed.has(n))).toEqual([]);
    expect(caps.builtins.map((b) => b.name)).toEqual(expect.arrayContaining(['sprintf', 'startswith', 'count']));
  });
});
