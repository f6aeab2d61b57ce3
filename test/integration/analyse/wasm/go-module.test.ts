import { beforeAll, describe, expect, it } from 'vitest';
import { V8 } from '../../../support/wasm/v8.ts';
import { embeddedDependenciesToComponents, inspectWasm } from '../../../../src/analyse/wasm/index.ts';
import { existsSync } from 'node:fs';
import { findTool, requireTool } from '../../../support/tools.ts';
import { buildGoWasm, withDepV0 } from '../../../support/wasm/fixtures.ts';

// Go lives in /usr/local/go on the project's machines, which may not be on a non-login PATH.
const GO = findTool('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);

// A real WASI module: test/fixtures/wasm/go-hello built with GOOS=wasip1 GOARCH=wasm (cached in the temp dir).
describe.skipIf(GO === undefined && process.env.CI !== 'true')('inspectWasm on a Go wasip1 module', () => {
  let bytes: Uint8Array;

  beforeAll(() => {
    bytes = buildGoWasm(GO ?? requireTool('go'));
  });

  it('reads Go\'s padded LEB128 section sizes and sees the same imports and exports as V8', async () => {
    // Go writes every section size as a 5-byte LEB128: the first section's size ends in a 0x00 byte after 0x80s
    expect(Array.from(bytes.subarray(9, 13)).every((b) => (b & 0x80) !== 0)).toBe(true);
    const facts = inspectWasm(bytes);
    const v8 = await V8.compile(bytes);
    expect(facts.kind).toBe('module');
    // every import as the binary lists it (Go imports some twice), as V8 and wasm-objdump report them
    expect(facts.imports).toEqual(V8.Module.imports(v8).map((i) => `${i.module}#${i.name}`));
    expect(facts.imports).toContain('wasi_snapshot_preview1#fd_write');
    expect(facts.exports).toEqual(V8.Module.exports(v8).map((e) => e.name));
    expect(facts.exports).toContain('_start');
  });

  it('lists Go\'s own custom sections and its producers with the Go version', async () => {
    const facts = inspectWasm(bytes);
    const v8 = await V8.compile(bytes);
    const names = facts.custom_sections?.map((s) => s.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(['go:buildid', 'producers', 'name']));
    for (const s of facts.custom_sections ?? []) {
      const fromV8 = V8.Module.customSections(v8, s.name).map((b) => b.byteLength);
      expect(fromV8).toContain(s.size);
    }
    expect(facts.producers?.language.some((l) => /^Go go1\.\d+/.test(l))).toBe(true);
    expect(facts.embedded_dependencies).toBeNull();
  });

  it('reads a cargo-auditable .dep-v0 section appended to the real module', async () => {
    const withDeps = withDepV0(bytes, [
      { name: 'app', version: '0.1.0', source: 'local', root: true, dependencies: [1] },
      { name: 'ring', version: '0.17.7', source: 'crates.io' },
    ]);
    await V8.compile(withDeps);
    const facts = inspectWasm(withDeps);
    expect(facts.embedded_dependencies).toEqual([
      { name: 'app', version: '0.1.0', source: 'local', kind: 'runtime' },
      { name: 'ring', version: '0.17.7', source: 'crates.io', kind: 'runtime' },
    ]);
    expect(embeddedDependenciesToComponents(facts.embedded_dependencies)).toEqual([
      { name: 'ring', version: '0.17.7', purl: 'pkg:cargo/ring@0.17.7', ecosystem: 'crates.io' },
    ]);
  });
});
