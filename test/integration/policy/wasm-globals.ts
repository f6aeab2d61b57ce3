/**
 * Test helper: reads and rewrites the i32 init value of an exported global in a
 * wasm binary (e.g. `opa_wasm_abi_version`), re-encoding the global section.
 * Only what the tests need: the module must be a valid core wasm binary.
 */
import { uleb } from '../../support/wasm/encode.ts';

class Reader {
  readonly bytes: Uint8Array;
  pos: number;
  constructor(bytes: Uint8Array, start = 0) {
    this.bytes = bytes;
    this.pos = start;
  }
  byte(): number {
    const b = this.bytes[this.pos];
    if (b === undefined) throw new Error(`wasm: unexpected end at ${this.pos}`);
    this.pos++;
    return b;
  }
  uleb(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }
  s32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while ((b & 0x80) !== 0);
    return shift < 32 && (b & 0x40) !== 0 ? result | (-1 << shift) : result;
  }
  name(): string {
    const len = this.uleb();
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  limits(): void {
    const flags = this.byte();
    this.uleb();
    if ((flags & 1) !== 0) this.uleb();
  }
}

function s32(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

interface Section {
  id: number;
  start: number; // first byte of the section id
  body: number; // first byte of the contents
  end: number;
}

function sections(wasm: Uint8Array): Section[] {
  if (wasm[0] !== 0x00 || wasm[1] !== 0x61 || wasm[2] !== 0x73 || wasm[3] !== 0x6d) throw new Error('wasm: bad magic');
  const r = new Reader(wasm, 8);
  const out: Section[] = [];
  while (r.pos < wasm.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.uleb();
    out.push({ id, start, body: r.pos, end: r.pos + size });
    r.pos += size;
  }
  return out;
}

// The global index an export names, counting imported globals first.
function exportedGlobalIndex(wasm: Uint8Array, secs: Section[], exportName: string): number {
  const exp = secs.find((s) => s.id === 7);
  if (exp === undefined) throw new Error('wasm: no export section');
  const r = new Reader(wasm, exp.body);
  for (let n = r.uleb(); n > 0; n--) {
    const name = r.name();
    const kind = r.byte();
    const index = r.uleb();
    if (name === exportName) {
      if (kind !== 3) throw new Error(`wasm: export ${exportName} is not a global`);
      return index;
    }
  }
  throw new Error(`wasm: no export named ${exportName}`);
}

function importedGlobals(wasm: Uint8Array, secs: Section[]): number {
  const imp = secs.find((s) => s.id === 2);
  if (imp === undefined) return 0;
  const r = new Reader(wasm, imp.body);
  let globals = 0;
  for (let n = r.uleb(); n > 0; n--) {
    r.name();
    r.name();
    const kind = r.byte();
    if (kind === 0) r.uleb();
    else if (kind === 1) {
      r.byte();
      r.limits();
    } else if (kind === 2) r.limits();
    else if (kind === 3) {
      r.byte();
      r.byte();
      globals++;
    } else throw new Error(`wasm: import kind ${kind} not handled`);
  }
  return globals;
}

interface GlobalInit {
  /** offset of the i32.const opcode and the end of its immediate */
  opAt: number;
  immEnd: number;
  value: number;
}

function locateInit(wasm: Uint8Array, exportName: string): { global: Section; init: GlobalInit } {
  const secs = sections(wasm);
  const index = exportedGlobalIndex(wasm, secs, exportName) - importedGlobals(wasm, secs);
  if (index < 0) throw new Error(`wasm: ${exportName} is an imported global`);
  const global = secs.find((s) => s.id === 6);
  if (global === undefined) throw new Error('wasm: no global section');
  const r = new Reader(wasm, global.body);
  const count = r.uleb();
  if (index >= count) throw new Error(`wasm: global ${index} out of range`);
  for (let i = 0; ; i++) {
    r.byte(); // valtype
    r.byte(); // mutability
    const opAt = r.pos;
    const op = r.byte();
    if (i === index) {
      if (op !== 0x41) throw new Error(`wasm: ${exportName} is not initialised by i32.const`);
      const value = r.s32();
      return { global, init: { opAt, immEnd: r.pos, value } };
    }
    // skip a constant expression up to its `end` (0x0b); the only immediates here are const values / global.get
    for (let o = op; o !== 0x0b; o = r.byte()) {
      if (o === 0x41 || o === 0x23) r.s32();
      else if (o === 0x42) while ((r.byte() & 0x80) !== 0);
      else if (o === 0x43) r.pos += 4;
      else if (o === 0x44) r.pos += 8;
      else throw new Error(`wasm: constant expression opcode 0x${o.toString(16)} not handled`);
    }
  }
}

/** The i32 init value of the global exported as `exportName`. */
export function exportedGlobalValue(wasm: Uint8Array, exportName: string): number {
  return locateInit(wasm, exportName).init.value;
}

/** A copy of `wasm` whose global exported as `exportName` starts at `value` (section length re-encoded). */
export function withExportedGlobal(wasm: Uint8Array, exportName: string, value: number): Uint8Array {
  const { global, init } = locateInit(wasm, exportName);
  const imm = Uint8Array.from([0x41, ...s32(value)]);
  const bodyLength = init.opAt - global.body + imm.length + (global.end - init.immEnd);
  return Buffer.concat([
    wasm.subarray(0, global.start),
    Uint8Array.from([6, ...uleb(bodyLength)]),
    wasm.subarray(global.body, init.opAt),
    imm,
    wasm.subarray(init.immEnd, global.end),
    wasm.subarray(global.end),
  ]);
}
