import { WasmInspectError } from '../../common/wasm/error.ts';
import { MAX_ENTRIES, MAX_NESTING } from './limits.ts';
import { ByteReader } from '../../common/wasm/reader.ts';
import { readSection, skipCoreImportDesc } from '../../common/wasm/sections.ts';

export type WasmKind = 'module' | 'component';

export interface RawCustomSection {
  name: string;
  /** payload size in bytes (without the name) */
  size: number;
  payload: Uint8Array;
  /** 0 for the top level, 1 for a module inside a component, … */
  depth: number;
  /** the index (in `WalkResult.units`) of the module or component that holds the section */
  unit: number;
}

/**
 * One module or component: the top level is unit 0, nested ones follow in the
 * order their sections appear (pre-order, the order `wasm-tools metadata show` lists them).
 */
export interface WasmUnit {
  index: number;
  kind: WasmKind;
  depth: number;
  /** the enclosing unit's index; null for the top level */
  parent: number | null;
  /** how many sections follow its 8-byte header (0: an empty module) */
  sections: number;
}

/** What one pass over the bytes found; higher layers turn it into facts. */
export interface WalkResult {
  kind: WasmKind;
  /** every top-level import, in order, duplicates included (as wasm-objdump lists them) */
  imports: string[];
  /** every top-level export, in order */
  exports: string[];
  customSections: RawCustomSection[];
  units: WasmUnit[];
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

interface State {
  imports: string[];
  exports: string[];
  customSections: RawCustomSection[];
  units: WasmUnit[];
  entries: number;
}

/** Walks a core module or a component: top-level imports and exports, custom sections at every level. */
export function walkWasm(bytes: Uint8Array): WalkResult {
  const state: State = { imports: [], exports: [], customSections: [], units: [], entries: 0 };
  const r = new ByteReader(bytes);
  const kind = readPreamble(r);
  const unit = addUnit(state, kind, 0, null);
  if (kind === 'module') walkCoreSections(r, state, unit);
  else walkComponentSections(r, state, unit);
  return { kind, imports: state.imports, exports: state.exports, customSections: state.customSections, units: state.units };
}

function addUnit(state: State, kind: WasmKind, depth: number, parent: number | null): WasmUnit {
  count(state, `nested ${kind}`);
  const unit: WasmUnit = { index: state.units.length, kind, depth, parent, sections: 0 };
  state.units.push(unit);
  return unit;
}

function readPreamble(r: ByteReader): WasmKind {
  for (const m of MAGIC) {
    if (r.remaining === 0) {
      throw new WasmInspectError('WASM_TRUNCATED', `input ends at offset ${r.offset} inside the magic number: not a complete wasm module`);
    }
    if (r.byte('magic') !== m) {
      throw new WasmInspectError('WASM_BAD_MAGIC', 'the bytes do not start with the wasm magic number \\0asm: not a WebAssembly module or component');
    }
  }
  const version = r.byte('version') | (r.byte('version') << 8);
  const layer = r.byte('layer') | (r.byte('layer') << 8);
  if (layer === 0 && version === 1) return 'module';
  if (layer === 1) return 'component';
  throw new WasmInspectError(
    'WASM_UNSUPPORTED_VERSION',
    `unsupported wasm version ${version} layer ${layer}: expected a core module (version 1, layer 0) or a component (layer 1)`,
  );
}

function count(state: State, what: string): void {
  state.entries += 1;
  if (state.entries > MAX_ENTRIES) {
    throw new WasmInspectError('WASM_TOO_MANY_ENTRIES', `more than ${MAX_ENTRIES} imports, exports, custom sections and nested modules (at ${what}): refusing to inspect further`);
  }
}

function readCustom(body: ByteReader, state: State, unit: WasmUnit): void {
  const name = body.name('custom section name');
  const payload = body.take(body.remaining, `custom section ${name}`);
  count(state, `custom section ${name}`);
  state.customSections.push({ name, size: payload.length, payload, depth: unit.depth, unit: unit.index });
}

// ---- core modules ----------------------------------------------------------

/** Core sections. At depth 0 imports and exports count; deeper only custom sections do. */
function walkCoreSections(r: ByteReader, state: State, unit: WasmUnit): void {
  while (!r.done) {
    const { id, body } = readSection(r);
    unit.sections += 1;
    switch (id) {
      case 0:
        readCustom(body, state, unit);
        break;
      case 2:
        if (unit.depth === 0) readCoreImports(body, state);
        break;
      case 7:
        if (unit.depth === 0) readCoreExports(body, state);
        break;
      default:
        if (id > 13) throw new WasmInspectError('WASM_MALFORMED', `unknown core section id ${id} at offset ${body.base - 1}: not a valid module`);
    }
  }
}

function readCoreImports(r: ByteReader, state: State): void {
  const n = r.u32('import count');
  for (let i = 0; i < n; i++) {
    const module = r.name('import module name');
    const field = r.name('import field name');
    skipCoreImportDesc(r);
    count(state, 'import');
    state.imports.push(`${module}#${field}`);
  }
  r.expectEnd('the import section');
}

function readCoreExports(r: ByteReader, state: State): void {
  const n = r.u32('export count');
  for (let i = 0; i < n; i++) {
    const name = r.name('export name');
    const kind = r.byte('export kind');
    if (kind > 0x04) throw new WasmInspectError('WASM_MALFORMED', `unknown export kind 0x${kind.toString(16)} at offset ${r.offset - 1}`);
    r.u32('export index');
    count(state, 'export');
    state.exports.push(name);
  }
  r.expectEnd('the export section');
}

// ---- components ------------------------------------------------------------

function walkComponentSections(r: ByteReader, state: State, unit: WasmUnit): void {
  while (!r.done) {
    const { id, body } = readSection(r);
    unit.sections += 1;
    switch (id) {
      case 0:
        readCustom(body, state, unit);
        break;
      case 1:
      case 4:
        walkNested(body, state, unit, id === 1 ? 'module' : 'component');
        break;
      case 10:
        if (unit.depth === 0) readComponentImports(body, state);
        break;
      case 11:
        if (unit.depth === 0) readComponentExports(body, state);
        break;
      default:
        if (id > 12) throw new WasmInspectError('WASM_MALFORMED', `unknown component section id ${id} at offset ${body.base - 1}: not a valid component`);
    }
  }
}

function walkNested(body: ByteReader, state: State, parent: WasmUnit, expected: WasmKind): void {
  const depth = parent.depth + 1;
  if (depth > MAX_NESTING) {
    throw new WasmInspectError('WASM_NESTING_TOO_DEEP', `components nest deeper than ${MAX_NESTING} levels at offset ${body.base}: refusing to inspect further`);
  }
  const inner = new ByteReader(body.bytes, body.base);
  const kind = readPreamble(inner);
  if (kind !== expected) {
    throw new WasmInspectError('WASM_MALFORMED', `a nested ${expected} at offset ${body.base} has a ${kind} header`);
  }
  const unit = addUnit(state, kind, depth, parent.index);
  if (kind === 'module') walkCoreSections(inner, state, unit);
  else walkComponentSections(inner, state, unit);
}

/**
 * A component import or export name (Binary.md `importname'`/`exportname'`, since
 * 2026-07 `nameattributes`), every form a released encoder has written:
 *   0x00 name                    the spec's form (wit-component since 2024-09)
 *   0x01 name                    the same plain name: wit-component releases before
 *                                2024-09 (jco ≤ 1.4) wrote 0x01 for interface names
 *   0x02 name vec(attribute)     attribute = 0x00 implements | 0x01 versionsuffix | 0x02 external-id,
 *                                each a length-prefixed string
 * (Between 2025-07 and 2026-03 a draft had `0x01 name versionsuffix`; no encoder
 * shipped it, and every component wit-component wrote with 0x01 is a plain name.)
 * Returned as the name with any `versionsuffix` appended (`wasi:http/types@0.2` +
 * `.6` is `wasi:http/types@0.2.6`, the full version the suffix exists to restore),
 * then ` (implements <interface>)` when the name carries that attribute.
 */
function readExternName(r: ByteReader, what: string): string {
  const tagAt = r.offset;
  const tag = r.byte(`${what} tag`);
  if (tag > 0x02) throw new WasmInspectError('WASM_MALFORMED', `unknown ${what} tag 0x${tag.toString(16)} at offset ${tagAt} (expected 0x00, 0x01 or 0x02)`);
  const name = r.name(what);
  if (tag !== 0x02) return name;
  let implementsName: string | undefined;
  let versionSuffix: string | undefined;
  let externalId: string | undefined;
  const n = r.u32(`${what} attribute count`);
  for (let i = 0; i < n; i++) {
    const at = r.offset;
    const kind = r.byte(`${what} attribute`);
    const label = kind === 0x00 ? 'implements' : kind === 0x01 ? 'versionsuffix' : kind === 0x02 ? 'external-id' : undefined;
    if (label === undefined) throw new WasmInspectError('WASM_MALFORMED', `unknown ${what} attribute 0x${kind.toString(16)} at offset ${at}`);
    const value = r.name(`${what} ${label}`);
    const seen = kind === 0x00 ? implementsName : kind === 0x01 ? versionSuffix : externalId;
    if (seen !== undefined) throw new WasmInspectError('WASM_MALFORMED', `${what} "${name}" has a second ${label} attribute at offset ${at}`);
    if (kind === 0x00) implementsName = value;
    else if (kind === 0x01) versionSuffix = value;
    else externalId = value;
  }
  const full = `${name}${versionSuffix ?? ''}`;
  return implementsName === undefined ? full : `${full} (implements ${implementsName})`;
}

function skipExternDesc(r: ByteReader): void {
  const tag = r.byte('extern descriptor');
  switch (tag) {
    case 0x00: {
      const sub = r.byte('core module descriptor');
      if (sub !== 0x11) throw new WasmInspectError('WASM_MALFORMED', `core module descriptor 0x${sub.toString(16)} at offset ${r.offset - 1} (expected 0x11)`);
      r.u32('core type index');
      return;
    }
    case 0x01:
    case 0x04:
    case 0x05:
      r.u32('type index');
      return;
    case 0x02: {
      const bound = r.byte('value bound');
      if (bound === 0x00) r.u32('value index');
      else if (bound === 0x01) skipComponentValType(r);
      else throw new WasmInspectError('WASM_MALFORMED', `unknown value bound 0x${bound.toString(16)} at offset ${r.offset - 1}`);
      return;
    }
    case 0x03: {
      const bound = r.byte('type bound');
      if (bound === 0x00) r.u32('type index');
      else if (bound !== 0x01) throw new WasmInspectError('WASM_MALFORMED', `unknown type bound 0x${bound.toString(16)} at offset ${r.offset - 1}`);
      return;
    }
    default:
      throw new WasmInspectError('WASM_MALFORMED', `unknown extern descriptor 0x${tag.toString(16)} at offset ${r.offset - 1}`);
  }
}

function skipComponentValType(r: ByteReader): void {
  const b = r.peek();
  // primitive value types are single bytes 0x64..0x7f; anything else is a type index
  if (b !== undefined && b >= 0x64 && b <= 0x7f) r.byte('primitive value type');
  else r.u32('value type index');
}

function readComponentImports(r: ByteReader, state: State): void {
  const n = r.u32('component import count');
  for (let i = 0; i < n; i++) {
    const name = readExternName(r, 'component import name');
    skipExternDesc(r);
    count(state, 'component import');
    state.imports.push(name);
  }
  r.expectEnd('the component import section');
}

function readComponentExports(r: ByteReader, state: State): void {
  const n = r.u32('component export count');
  for (let i = 0; i < n; i++) {
    const name = readExternName(r, 'component export name');
    const sort = r.byte('export sort');
    if (sort === 0x00) r.byte('core sort');
    else if (sort > 0x05) throw new WasmInspectError('WASM_MALFORMED', `unknown export sort 0x${sort.toString(16)} at offset ${r.offset - 1}`);
    r.u32('export index');
    const hasType = r.byte('export type flag');
    if (hasType === 0x01) skipExternDesc(r);
    else if (hasType !== 0x00) throw new WasmInspectError('WASM_MALFORMED', `unknown export type flag 0x${hasType.toString(16)} at offset ${r.offset - 1}`);
    count(state, 'component export');
    state.exports.push(name);
  }
  r.expectEnd('the component export section');
}
