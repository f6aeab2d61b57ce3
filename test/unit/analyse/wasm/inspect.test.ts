import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { V8 } from '../../../support/wasm/v8.ts';
import { embeddedDependenciesToComponents, inspectWasm, WasmInspectError } from '../../../../src/analyse/wasm/index.ts';
import { componentWith, encodeCoreModule, encodeSection, producersPayload, uleb } from '../../../support/wasm/encode.ts';
import { expectThrowsCode } from '../../../support/wasm/expect-code.ts';
import { appendCustomSection, depV0Payload, EMPTY_MODULE, readComponentFixture, withDepV0 } from '../../../support/wasm/fixtures.ts';

const ringDeps = [
  { name: 'app', version: '0.1.0', source: 'local', root: true, dependencies: [1] },
  { name: 'ring', version: '0.17.7', source: 'crates.io' },
  { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' as const },
];

describe('inspectWasm', () => {
  describe('when given a real component (wasm-tools output)', () => {
    const facts = inspectWasm(readComponentFixture());

    it('returns kind component and the WIT-level imports and exports', () => {
      expect(facts.kind).toBe('component');
      expect(facts.imports).toEqual(['wasi:sockets/tcp@0.2.0', 'wasi:filesystem/types@0.2.0', 'wasi:http/outgoing-handler@0.2.0']);
      expect(facts.exports).toEqual(['wasi:http/incoming-handler@0.2.0']);
    });

    it('merges the producers of the component and its nested modules, with versions', () => {
      expect(facts.producers).toEqual({
        language: ['Rust'],
        'processed-by': ['wit-component 0.259.0', 'rustc 1.78.0 (9b00956e5 2024-04-29)', 'cargo-component 0.13.2'],
        sdk: ['wit-bindgen-rust 0.24.0'],
      });
    });

    it('reads .dep-v0 from the nested core module', () => {
      expect(facts.embedded_dependencies).toEqual([
        { name: 'demo-app', version: '0.1.0', source: 'local', kind: 'runtime' },
        { name: 'ring', version: '0.17.7', source: 'crates.io', kind: 'runtime' },
        { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' },
      ]);
    });

    it('lists custom sections by name and size', () => {
      expect(facts.custom_sections).toContainEqual({ name: '.dep-v0', size: 147 });
      expect(facts.custom_sections?.map((s) => s.name)).toContain('component-name');
      expect(facts.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it('V8 refuses the same bytes (why wasmgate has its own parser)', async () => {
      await expect(V8.compile(readComponentFixture())).rejects.toThrow();
    });
  });

  describe('when given a core module', () => {
    const bytes = encodeCoreModule({
      imports: [{ module: 'wasi_snapshot_preview1', name: 'fd_write' }, { module: 'wasi_snapshot_preview1', name: 'sock_accept' }],
      exports: ['_start'],
      memoryExport: 'memory',
      customSections: [{ name: 'producers', payload: producersPayload({ language: [['Rust', '']], 'processed-by': [['rustc', '1.78.0']] }) }],
    });

    it('returns module#name imports and export names, like V8 does', async () => {
      const facts = inspectWasm(bytes);
      const v8 = await V8.compile(bytes);
      expect(facts.kind).toBe('module');
      expect(facts.imports).toEqual(V8.Module.imports(v8).map((i) => `${i.module}#${i.name}`));
      expect(facts.exports).toEqual(V8.Module.exports(v8).map((e) => e.name));
      expect(facts.producers).toEqual({ language: ['Rust'], 'processed-by': ['rustc 1.78.0'], sdk: [] });
    });

    it('returns null producers and null embedded dependencies when the sections are absent', () => {
      const facts = inspectWasm(EMPTY_MODULE);
      expect(facts).toMatchObject({ kind: 'module', imports: [], exports: [], producers: null, embedded_dependencies: null, custom_sections: [] });
    });

    it('reads an appended cargo-auditable .dep-v0 section', async () => {
      const withDeps = withDepV0(bytes, ringDeps);
      await V8.compile(withDeps);
      const facts = inspectWasm(withDeps);
      expect(facts.embedded_dependencies).toEqual([
        { name: 'app', version: '0.1.0', source: 'local', kind: 'runtime' },
        { name: 'ring', version: '0.17.7', source: 'crates.io', kind: 'runtime' },
        { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' },
      ]);
      expect(facts.custom_sections?.at(-1)?.name).toBe('.dep-v0');
    });

    it('uses the digest the caller supplies', () => {
      expect(inspectWasm(EMPTY_MODULE, { digest: 'sha256:abc' }).digest).toBe('sha256:abc');
    });
  });

  describe('when the input is malformed', () => {
    it('throws WASM_BAD_MAGIC for bytes that are not wasm', () => {
      expectThrowsCode(() => inspectWasm(new TextEncoder().encode('#!/bin/sh\necho hi\n')), WasmInspectError, 'WASM_BAD_MAGIC');
    });

    it('throws WASM_TRUNCATED for an empty or cut preamble', () => {
      expectThrowsCode(() => inspectWasm(new Uint8Array()), WasmInspectError, 'WASM_TRUNCATED');
      expectThrowsCode(() => inspectWasm(EMPTY_MODULE.subarray(0, 6)), WasmInspectError, 'WASM_TRUNCATED');
    });

    it('throws WASM_UNSUPPORTED_VERSION for an unknown version', () => {
      expectThrowsCode(() => inspectWasm(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])), WasmInspectError, 'WASM_UNSUPPORTED_VERSION');
    });

    it('throws WASM_SECTION_PAST_END for a truncated section', () => {
      const full = withDepV0(EMPTY_MODULE, ringDeps);
      expectThrowsCode(() => inspectWasm(full.subarray(0, full.length - 5)), WasmInspectError, 'WASM_SECTION_PAST_END');
    });

    it('throws WASM_SECTION_PAST_END for a section size past the end', () => {
      const bytes = new Uint8Array([...EMPTY_MODULE, 0x00, ...uleb(1_000_000), 0x01, 0x41]);
      const err = expectThrowsCode(() => inspectWasm(bytes), WasmInspectError, 'WASM_SECTION_PAST_END');
      expect(err.message).toContain('1000000 bytes');
    });

    it('throws WASM_LEB128_OVERFLOW for a size wider than 32 bits', () => {
      expectThrowsCode(() => inspectWasm(new Uint8Array([...EMPTY_MODULE, 0x00, 0xff, 0xff, 0xff, 0xff, 0x7f])), WasmInspectError, 'WASM_LEB128_OVERFLOW');
      expectThrowsCode(() => inspectWasm(new Uint8Array([...EMPTY_MODULE, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])), WasmInspectError, 'WASM_LEB128_OVERFLOW');
    });

    it('accepts padded 5-byte LEB128 sizes (as Go writes them)', () => {
      const payload = [0x01, 0x61];
      const bytes = new Uint8Array([...EMPTY_MODULE, 0x00, 0x82, 0x80, 0x80, 0x80, 0x00, ...payload]);
      expect(inspectWasm(bytes).custom_sections).toEqual([{ name: 'a', size: 0 }]);
    });

    it('throws WASM_TRUNCATED for a LEB128 number cut by the end', () => {
      expectThrowsCode(() => inspectWasm(new Uint8Array([...EMPTY_MODULE, 0x00, 0x80])), WasmInspectError, 'WASM_TRUNCATED');
    });

    it('throws WASM_SECTION_SIZE_MISMATCH when an import section has trailing bytes', () => {
      const body = [0x00, 0xaa];
      expectThrowsCode(() => inspectWasm(new Uint8Array([...EMPTY_MODULE, ...encodeSection(2, body)])), WasmInspectError, 'WASM_SECTION_SIZE_MISMATCH');
    });

    it('throws WASM_MALFORMED for an unknown section id', () => {
      expectThrowsCode(() => inspectWasm(new Uint8Array([...EMPTY_MODULE, 0x42, 0x00])), WasmInspectError, 'WASM_MALFORMED');
    });

    it('throws WASM_BAD_NAME for a name that is not UTF-8', () => {
      expectThrowsCode(() => inspectWasm(new Uint8Array([...EMPTY_MODULE, 0x00, 0x02, 0x01, 0xff])), WasmInspectError, 'WASM_BAD_NAME');
    });

    it('throws WASM_BAD_PRODUCERS for a malformed producers section', () => {
      const bad = appendCustomSection(EMPTY_MODULE, 'producers', new Uint8Array([0x05, 0x01]));
      expectThrowsCode(() => inspectWasm(bad), WasmInspectError, 'WASM_BAD_PRODUCERS');
    });

    it('throws WASM_NESTING_TOO_DEEP for components nested past the bound', () => {
      let inner: Uint8Array = componentWith([]);
      for (let i = 0; i < 20; i++) inner = componentWith([encodeSection(4, [...inner.subarray(0)])]);
      expectThrowsCode(() => inspectWasm(inner), WasmInspectError, 'WASM_NESTING_TOO_DEEP');
    });
  });

  describe('when .dep-v0 is hostile', () => {
    it('throws WASM_DEP_V0_TOO_LARGE for a zlib bomb, with bounded inflation', () => {
      const bomb = deflateSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
      expect(bomb.length).toBeLessThan(100_000);
      const bytes = appendCustomSection(EMPTY_MODULE, '.dep-v0', bomb);
      const before = process.memoryUsage().arrayBuffers;
      expectThrowsCode(() => inspectWasm(bytes), WasmInspectError, 'WASM_DEP_V0_TOO_LARGE');
      expectThrowsCode(() => inspectWasm(bytes, { maxDepV0Bytes: 1024 }), WasmInspectError, 'WASM_DEP_V0_TOO_LARGE');
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
    });

    it('throws WASM_DEP_V0_INVALID for bytes that are not zlib', () => {
      const bytes = appendCustomSection(EMPTY_MODULE, '.dep-v0', new TextEncoder().encode('{"packages":[]}'));
      expectThrowsCode(() => inspectWasm(bytes), WasmInspectError, 'WASM_DEP_V0_INVALID');
    });

    it('throws WASM_DEP_V0_INVALID for JSON that is not cargo-auditable\'s', () => {
      const notList = appendCustomSection(EMPTY_MODULE, '.dep-v0', deflateSync('{"pkgs":[]}'));
      expectThrowsCode(() => inspectWasm(notList), WasmInspectError, 'WASM_DEP_V0_INVALID');
      const noVersion = appendCustomSection(EMPTY_MODULE, '.dep-v0', deflateSync('{"packages":[{"name":"ring","source":"crates.io"}]}'));
      expectThrowsCode(() => inspectWasm(noVersion), WasmInspectError, 'WASM_DEP_V0_INVALID');
      const notJson = appendCustomSection(EMPTY_MODULE, '.dep-v0', deflateSync('ring 0.17.7'));
      expectThrowsCode(() => inspectWasm(notJson), WasmInspectError, 'WASM_DEP_V0_INVALID');
    });

    it('returns an empty list for an empty package list', () => {
      expect(inspectWasm(appendCustomSection(EMPTY_MODULE, '.dep-v0', depV0Payload([]))).embedded_dependencies).toEqual([]);
    });
  });

  describe('when the module is over the size bound', () => {
    it('throws WASM_TOO_LARGE for a 100 MB module before reading it', () => {
      const huge = new Uint8Array(100 * 1024 * 1024);
      huge.set(EMPTY_MODULE);
      const err = expectThrowsCode(() => inspectWasm(huge), WasmInspectError, 'WASM_TOO_LARGE');
      expect(err.message).toContain('104857600 bytes');
    });

    it('honours a smaller maxBytes', () => {
      expectThrowsCode(() => inspectWasm(readComponentFixture(), { maxBytes: 1000 }), WasmInspectError, 'WASM_TOO_LARGE');
    });
  });
});

describe('embeddedDependenciesToComponents', () => {
  it('returns purl-addressed crates.io components only, deduplicated, with the SBOM path\'s purls', () => {
    const deps = [
      { name: 'app', version: '0.1.0', source: 'local' },
      { name: 'ring', version: '0.17.7', source: 'crates.io', kind: 'runtime' },
      { name: 'ring', version: '0.17.7', source: 'crates.io', kind: 'build' },
      { name: 'mygit', version: '1.0.0', source: 'git' },
      { name: 'semverish', version: '1.0.0+build.5', source: 'crates.io' },
    ];
    expect(embeddedDependenciesToComponents(deps)).toEqual([
      { name: 'ring', version: '0.17.7', purl: 'pkg:cargo/ring@0.17.7', ecosystem: 'crates.io' },
      { name: 'semverish', version: '1.0.0+build.5', purl: 'pkg:cargo/semverish@1.0.0+build.5', ecosystem: 'crates.io' },
    ]);
  });

  it('returns nothing for null (no .dep-v0)', () => {
    expect(embeddedDependenciesToComponents(null)).toEqual([]);
  });
});
