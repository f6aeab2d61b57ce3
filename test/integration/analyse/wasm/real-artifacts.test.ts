// Inspection on real binaries (test/fixtures/wasm/real, origins and licences in its SOURCES.md), checked
// against the reference readers: wabt's wasm-objdump for core modules, jco's wasm-tools for components.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectWasm, type WasmFacts } from '../../../../src/analyse/wasm/index.ts';
import type { WasmProducers } from '../../../../src/contract/input-v1.ts';
import { missingOutsideCi } from '../../../support/tools.ts';
import { componentNamesByWasmTools, objdump, readReal, realFixtures, wasmTools } from '../../../support/wasm/reference-tools.ts';

const run = promisify(execFile);
const main = join(import.meta.dirname, '..', '..', '..', '..', 'src', 'cli', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'wasmgate-real-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fixture as a plain .wasm file on disk (gunzipped when stored gzipped). */
function onDisk(file: string): string {
  const path = join(dir, file.replace(/\.gz$/, ''));
  writeFileSync(path, readReal(file));
  return path;
}

async function wasmgate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [main, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function ulebLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len += 1;
  }
  return len;
}

/** The tag byte of the first top-level import name of a component (0x00, 0x01 or 0x02). */
function firstImportNameTag(bytes: Uint8Array): number | undefined {
  const leb = (pos: number): [number, number] => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++] as number;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return [v, pos];
    }
  };
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos] as number;
    const [size, body] = leb(pos + 1);
    if (id === 10) return bytes[leb(body)[1]];
    pos = body + size;
  }
  return undefined;
}

const CORE = realFixtures(/^(?!.*component)/);
const COMPONENTS = realFixtures(/component/);

describe.skipIf(missingOutsideCi('wasm-objdump'))('core modules: the same imports, exports and custom sections as wasm-objdump', () => {
  it('has a real set to compare', () => {
    expect(CORE.length).toBeGreaterThanOrEqual(4);
  });

  for (const file of CORE) {
    it(file, () => {
      const facts = inspectWasm(readReal(file));
      const ref = objdump(onDisk(file));
      expect(facts.kind).toBe('module');
      // wasm-objdump prints module.field; wasmgate module#field
      expect(facts.imports.map((i) => i.replace('#', '.'))).toEqual(ref.imports);
      expect(facts.exports).toEqual(ref.exports);
      expect(facts.custom_sections?.map((s) => ({ name: s.name, sectionSize: ulebLength(Buffer.byteLength(s.name)) + Buffer.byteLength(s.name) + s.size }))).toEqual(ref.customSections);
    });
  }

  it('lists a duplicated import as often as the binary holds it (Go js/wasm imports gojs.runtime.getRandomData twice)', () => {
    const facts = inspectWasm(readReal('go-js-rand.wasm.gz'));
    expect(facts.imports).toHaveLength(22);
    expect(facts.imports.filter((i) => i === 'gojs#runtime.getRandomData')).toHaveLength(2);
    expect(new Set(facts.imports).size).toBe(21);
  });
});

function toProducers(fields: Array<[string, Array<[string, string]>]>): WasmProducers | null {
  if (fields.length === 0) return null;
  const out: WasmProducers = { language: [], 'processed-by': [], sdk: [] };
  for (const [field, values] of fields) {
    if (field !== 'language' && field !== 'processed-by' && field !== 'sdk') continue;
    for (const [name, version] of values) out[field].push(version === '' ? name : `${name} ${version}`);
  }
  return out;
}

describe('components: the same imports, exports and per-module producers as jco\'s wasm-tools', () => {
  it('has components of several wit-component generations, old 0x01 and new 0x00 name forms among them', () => {
    const tags = COMPONENTS.map((f) => firstImportNameTag(readReal(f)));
    expect(tags).toContain(0x00);
    expect(tags).toContain(0x01);
    expect(tags).toContain(0x02);
  });

  for (const file of COMPONENTS) {
    it(file, async () => {
      const bytes = readReal(file);
      const facts: WasmFacts = inspectWasm(bytes);
      expect(facts.kind).toBe('component');
      const ref = await componentNamesByWasmTools(bytes);
      expect(facts.imports).toEqual(ref.imports);
      expect(facts.exports).toEqual(ref.exports);
      const meta = await (await wasmTools()).metadataShow(bytes);
      expect(
        facts.modules.map((m) => ({ kind: m.kind, parent: m.parent, name: m.name, producers: m.producers })),
      ).toEqual(
        meta.map((m) => ({ kind: m.metaType.tag, parent: m.parentIndex ?? null, name: m.name ?? null, producers: toProducers(m.producers) })),
      );
    }, 60_000);
  }

  it('reads the 0x01 (plain) names wit-component wrote before 2024-09 as names, not name + version suffix', () => {
    const bytes = readReal('jco-0.14.2-adapted.component.wasm');
    expect(firstImportNameTag(bytes)).toBe(0x01);
    const facts = inspectWasm(bytes);
    expect(facts.imports).toContain('demo:gen/logging@0.1.0');
    expect(facts.imports).toContain('wasi:cli/stdout@0.2.0-rc-2023-12-05');
    expect(facts.imports).toContain('clock');
    expect(facts.exports).toEqual(['version', 'demo:gen/runner@0.1.0']);
  });

  it('reads the 0x02 attributes: versionsuffix restores the full version, implements is shown, a nested component is walked', () => {
    const facts = inspectWasm(readReal('name-attributes-composed.component.wasm'));
    expect(facts.imports).toEqual(['wasi:http/types@0.2.6', 'primary (implements wasi:keyvalue/store@0.2.0)', 'log']);
    expect(facts.exports).toEqual(['wasi:http/types@0.2.6', 'kv (implements wasi:keyvalue/store@0.2.0)']);
    expect(facts.modules.map((m) => [m.kind, m.depth, m.parent])).toEqual([['component', 0, null], ['component', 1, 0], ['module', 2, 1]]);
    expect(facts.modules[2]?.producers).toEqual({ language: ['C'], 'processed-by': ['clang 19.1.0'], sdk: [] });
  });
});

describe('wasmgate inspect on real files', () => {
  it('shows producers per nested module, with the module\'s name', async () => {
    const r = await wasmgate('inspect', onDisk('jco-1.4.4-adapted.component.wasm'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('module 2 "wit-component:adapter:wasi_snapshot_preview1" (in 0)\n                  language: Rust\n                  processed-by: rustc 1.80.0 (051478957 2024-07-21)');
    expect(r.stdout).toContain('component 0 (top level)\n                  processed-by: wit-component 0.215.0');
  });

  it('leaves out empty producers fields instead of printing "-"', async () => {
    const r = await wasmgate('inspect', onDisk('wasi-adapter-reactor.jco-1.4.4.wasm'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^producers\s+language: Rust\n\s+processed-by: rustc 1\.80\.0 \(051478957 2024-07-21\)\n/m);
    expect(r.stdout).not.toMatch(/: -$/m);
  });

  it('says that a file cut right after its 8-byte header is an empty module', async () => {
    const path = join(dir, 'header-only.wasm');
    writeFileSync(path, readReal('wasi-adapter-reactor.jco-1.4.4.wasm').subarray(0, 8));
    const r = await wasmgate('inspect', path);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kind\s+module \(8 bytes; empty module: the 8-byte header and no sections \(valid\)\)$/m);
    const json = JSON.parse((await wasmgate('inspect', path, '--json')).stdout) as WasmFacts;
    expect(json.modules).toEqual([{ index: 0, kind: 'module', depth: 0, parent: null, name: null, sections: 0, producers: null }]);
  });

  it('names the --max-bytes flag when the size bound comes from the command line', async () => {
    const r = await wasmgate('inspect', onDisk('wasi-adapter-reactor.jco-1.4.4.wasm'), '--max-bytes', '1000');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('WASM_TOO_LARGE');
    expect(r.stderr).toContain('raise --max-bytes');
    expect(r.stderr).not.toContain('wasm.max_bytes');
  });
});
