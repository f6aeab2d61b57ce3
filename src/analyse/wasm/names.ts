import type { RawCustomSection, WasmKind } from './walk.ts';
import { ByteReader } from '../../common/wasm/reader.ts';

/**
 * A module's or component's own name: subsection 0 of its `name` section (core,
 * the extended-name-section convention) or of its `component-name` section (Binary.md).
 * Name sections are advisory (engines must not reject a bad one), so an unreadable
 * one gives null rather than an error.
 */
export function unitName(kind: WasmKind, own: readonly RawCustomSection[]): string | null {
  const section = own.find((s) => s.name === (kind === 'module' ? 'name' : 'component-name'));
  if (!section) return null;
  try {
    const r = new ByteReader(section.payload);
    while (!r.done) {
      const id = r.byte('name subsection id');
      const body = r.sub(r.u32('name subsection size'), 'name subsection');
      if (id === 0) return body.name('module name');
    }
  } catch {
    return null;
  }
  return null;
}
