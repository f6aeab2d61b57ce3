import { execFile } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, ftruncateSync, writeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { missingOutsideCi, requireTool } from '../../../support/tools.ts';

const run = promisify(execFile);
const main = join(import.meta.dirname, '..', '..', '..', '..', 'src', 'cli', 'main.ts');
const component = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'wasm', 'component.wasm');

async function wasmgate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [main, ...args], { maxBuffer: 4 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('wasmgate inspect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-inspect-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the facts as JSON with --json', async () => {
    const r = await wasmgate('inspect', component, '--json');
    expect(r.code).toBe(0);
    const facts = JSON.parse(r.stdout) as { kind: string; imports: string[]; embedded_dependencies: Array<{ name: string }> };
    expect(facts.kind).toBe('component');
    expect(facts.imports).toContain('wasi:sockets/tcp@0.2.0');
    expect(facts.embedded_dependencies.map((d) => d.name)).toContain('ring');
  });

  it('prints a readable report without --json', async () => {
    const r = await wasmgate('inspect', component);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kind\s+component \(3018 bytes\)$/m);
    expect(r.stdout).toMatch(/^\s+ring 0\.17\.7 \(crates\.io\)$/m);
    expect(r.stdout).toContain('rustc 1.78.0');
  });

  it('exits 2 with WASM_TOO_LARGE for a 100 MB file, without reading it', async () => {
    const big = join(dir, 'big.wasm');
    const fd = openSync(big, 'w');
    writeSync(fd, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    ftruncateSync(fd, 100 * 1024 * 1024); // sparse: no 100 MB written
    closeSync(fd);
    const r = await wasmgate('inspect', big);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('WASM_TOO_LARGE');
  });

  it('exits 2 with a code for a malformed module', async () => {
    const bad = join(dir, 'bad.wasm');
    const fd = openSync(bad, 'w');
    writeSync(fd, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    closeSync(fd);
    const r = await wasmgate('inspect', bad, '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('WASM_LEB128_OVERFLOW');
  });

  it.skipIf(missingOutsideCi('oras'))('inspects the wasm layer of a module in an OCI layout pushed by oras', async () => {
    const layout = join(dir, 'layout');
    await run(requireTool('oras'), ['push', '--oci-layout', `${layout}:v1`, '--artifact-type', 'application/vnd.wasm.config.v0+json', 'component.wasm:application/wasm'], {
      cwd: dirname(component),
    });
    const r = await wasmgate('inspect', `oci:${layout}:v1`, '--json');
    expect(r.code, r.stderr).toBe(0);
    const facts = JSON.parse(r.stdout) as { digest: string; kind: string; imports: string[] };
    expect(facts.kind).toBe('component');
    expect(facts.digest).toBe('sha256:08f5ca274d735d1f00a7b0c17e751a03e7fe0d25d98b7deeb053231148a0565b');
    expect(facts.imports).toContain('wasi:http/outgoing-handler@0.2.0');
  });

  it('exits 2 with the collector\'s code for a reference it cannot resolve', async () => {
    const r = await wasmgate('inspect', `oci:${join(dir, 'no-such-layout')}:v1`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^wasmgate: [A-Z_]+: /);
  });
});
