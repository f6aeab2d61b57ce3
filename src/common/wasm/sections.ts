import { WasmInspectError } from './error.ts';
import type { ByteReader } from './reader.ts';

/**
 * The pieces of the wasm binary format that both the module inspector (analyse/wasm) and the policy engine
 * (policy/engine/wasm-api.ts) read, over the bounds-checked ByteReader: every malformed byte is a coded
 * WasmInspectError, never an out-of-bounds read.
 */

/** One section: its id and a reader over exactly its declared size. */
export function readSection(r: ByteReader): { id: number; body: ByteReader } {
  const id = r.byte('section id');
  const size = r.u32(`section ${id} size`);
  return { id, body: r.sub(size, `section ${id}`) };
}

/** Skips the description of one core import (after its two names); unknown kinds are malformed. */
export function skipCoreImportDesc(r: ByteReader): void {
  const kind = r.byte('import kind');
  switch (kind) {
    case 0x00: // func: typeidx
      r.u32('function type index');
      return;
    case 0x01: // table: reftype limits
      skipValType(r);
      skipLimits(r);
      return;
    case 0x02: // memory: limits
      skipLimits(r);
      return;
    case 0x03: // global: valtype mut
      skipValType(r);
      r.byte('global mutability');
      return;
    case 0x04: // tag: attribute typeidx
      r.byte('tag attribute');
      r.u32('tag type index');
      return;
    default:
      throw new WasmInspectError('WASM_MALFORMED', `unknown import kind 0x${kind.toString(16)} at offset ${r.offset - 1}`);
  }
}

export function skipValType(r: ByteReader): void {
  const t = r.byte('value type');
  // (ref null ht) / (ref ht) carry a heap type (s33)
  if (t === 0x63 || t === 0x64) r.skipLeb('heap type', 5);
}

export function skipLimits(r: ByteReader): void {
  const flags = r.byte('limits flags');
  if (flags > 0x0f) throw new WasmInspectError('WASM_MALFORMED', `unknown limits flags 0x${flags.toString(16)} at offset ${r.offset - 1}`);
  const wide = (flags & 0x04) !== 0;
  r.skipLeb('limits minimum', wide ? 10 : 5);
  if (flags & 0x01) r.skipLeb('limits maximum', wide ? 10 : 5);
  if (flags & 0x08) r.u32('page size');
}
