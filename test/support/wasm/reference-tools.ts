import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { requireTool } from '../tools.ts';

/** test/fixtures/wasm/real: real modules and components, origins and licences in its SOURCES.md. */
export const REAL_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'wasm', 'real');

/** A fixture's bytes (`.wasm.gz` files are stored gzipped to keep the repository small). */
export function readReal(file: string): Uint8Array {
  const raw = readFileSync(join(REAL_DIR, file));
  return new Uint8Array(file.endsWith('.gz') ? gunzipSync(raw) : raw);
}

/** Every `.wasm` / `.wasm.gz` fixture in the directory whose name matches. */
export function realFixtures(match: RegExp): string[] {
  return readdirSync(REAL_DIR).filter((f) => /\.wasm(\.gz)?$/.test(f) && match.test(f)).sort();
}

export interface ObjdumpFacts {
  /** `module.field` as wasm-objdump prints each import (it joins the two with a dot) */
  imports: string[];
  exports: string[];
  /** custom section names and their whole section size (name included), in file order */
  customSections: Array<{ name: string; sectionSize: number }>;
}

/** What wabt's `wasm-objdump` (Debian's wabt, installed by scripts/install-tools.sh) reads from a core module. */
export function objdump(path: string): ObjdumpFacts {
  const tool = requireTool('wasm-objdump');
  // wasm-objdump honours only the last -j, so one run per section
  const section = (name: string): string => execFileSync(tool, ['-x', '-j', name, path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const details = `${section('Import')}\n${section('Export')}`;
  const imports: string[] = [];
  const exports: string[] = [];
  let block: 'import' | 'export' | undefined;
  for (const line of details.split('\n')) {
    if (/^Import\[\d+\]:$/.test(line)) block = 'import';
    else if (/^Export\[\d+\]:$/.test(line)) block = 'export';
    else if (!line.startsWith(' - ')) block = undefined;
    else if (block === 'import') imports.push(line.slice(line.lastIndexOf(' <- ') + 4));
    else if (block === 'export') exports.push(JSON.parse(line.slice(line.lastIndexOf(' -> ') + 4)) as string);
  }
  const headers = execFileSync(tool, ['-h', path], { encoding: 'utf8' });
  const customSections = [...headers.matchAll(/^\s*Custom start=0x[0-9a-f]+ end=0x[0-9a-f]+ \(size=0x([0-9a-f]+)\) "(.*)"$/gm)].map((m) => ({
    name: m[2] as string,
    sectionSize: Number.parseInt(m[1] as string, 16),
  }));
  return { imports, exports, customSections };
}

interface WasmToolsApi {
  print(bytes: Uint8Array): Promise<string>;
  metadataShow(bytes: Uint8Array): Promise<Array<{
    parentIndex?: number;
    name?: string;
    metaType: { tag: 'module' } | { tag: 'component'; val: number };
    range: [number, number];
    producers: Array<[string, Array<[string, string]>]>;
  }>>;
}

/** wasm-tools (wit-component 0.259) as jco ships it in npm `@bytecodealliance/jco-transpile` (a dev dependency). */
export async function wasmTools(): Promise<WasmToolsApi> {
  return (await import('@bytecodealliance/jco-transpile/wasm-tools')) as unknown as WasmToolsApi;
}

function unquote(s: string): string {
  // the WAT string escapes wasm-tools writes: \t \n \r \" \' \\ and \XX hex bytes (UTF-8)
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = s[++i] as string;
    const simple: Record<string, string> = { t: '\t', n: '\n', r: '\r', '"': '"', "'": "'", '\\': '\\' };
    if (simple[n] !== undefined) bytes.push(...Buffer.from(simple[n], 'utf8'));
    else {
      bytes.push(Number.parseInt(s.slice(i, i + 2), 16));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The top-level imports and exports of a component as `wasm-tools print` writes them, each
 * rendered as wasmgate documents it: the name, any `(versionsuffix "…")` appended, then
 * ` (implements …)` when that attribute is present.
 */
export async function componentNamesByWasmTools(bytes: Uint8Array): Promise<{ imports: string[]; exports: string[] }> {
  const wat = await (await wasmTools()).print(bytes);
  const imports: string[] = [];
  const exports: string[] = [];
  const str = '"((?:[^"\\\\]|\\\\.)*)"';
  const anyStr = '"(?:[^"\\\\]|\\\\.)*"';
  // before the name: an optional $id (quoted when it has spaces), an (@name "…") annotation, an index comment
  const prefix = `(?: (?:\\$${anyStr}|\\$[^\\s()"]+|\\(@name ${anyStr}\\)|\\(;\\d+;\\)))*`;
  for (const line of wat.split('\n')) {
    const m = new RegExp(`^  \\((import|export)${prefix} ${str}(.*)$`).exec(line);
    if (!m) continue;
    const rest = m[3] as string;
    const suffix = new RegExp(`\\(versionsuffix ${str}\\)`).exec(rest)?.[1];
    const impl = new RegExp(`\\(implements ${str}\\)`).exec(rest)?.[1];
    let name = unquote(m[2] as string) + (suffix === undefined ? '' : unquote(suffix));
    if (impl !== undefined) name += ` (implements ${unquote(impl)})`;
    (m[1] === 'import' ? imports : exports).push(name);
  }
  return { imports, exports };
}
