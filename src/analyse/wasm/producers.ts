import type { WasmProducers } from '../../contract/input-v1.ts';
import { WasmInspectError } from '../../common/wasm/error.ts';
import { ByteReader } from '../../common/wasm/reader.ts';

const FIELDS = ['language', 'processed-by', 'sdk'] as const;

/**
 * Reads `producers` sections (tool-conventions ProducersSection.md) and merges
 * them: a component's own section and those of the modules inside it. Each
 * entry is `"<name> <version>"` (or just the name when the version is empty),
 * e.g. `"rustc 1.78.0 (9b00956e5 2024-04-29)"`; duplicates are dropped.
 * Returns null when there is no producers section at all.
 */
export function parseProducers(payloads: Uint8Array[]): WasmProducers | null {
  if (payloads.length === 0) return null;
  const out: WasmProducers = { language: [], 'processed-by': [], sdk: [] };
  const seen = new Set<string>();
  for (const payload of payloads) {
    try {
      readOne(new ByteReader(payload), out, seen);
    } catch (err) {
      if (err instanceof WasmInspectError) {
        throw new WasmInspectError('WASM_BAD_PRODUCERS', `the producers section is malformed: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
  return out;
}

function readOne(r: ByteReader, out: WasmProducers, seen: Set<string>): void {
  const fields = r.u32('producers field count');
  for (let i = 0; i < fields; i++) {
    const field = r.name('producers field name');
    const values = r.u32('producers value count');
    const target = (FIELDS as readonly string[]).includes(field) ? out[field as (typeof FIELDS)[number]] : undefined;
    for (let j = 0; j < values; j++) {
      const name = r.name('producer name');
      const version = r.name('producer version');
      const entry = version === '' ? name : `${name} ${version}`;
      const key = `${field}\u0000${entry}`;
      if (target && !seen.has(key)) {
        seen.add(key);
        target.push(entry);
      }
    }
  }
  r.expectEnd('the producers section');
}
