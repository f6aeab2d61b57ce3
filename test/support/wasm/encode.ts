/**
 * A tiny core-module encoder for tests (WebAssembly core spec, binary format §5).
 * Everything it writes is checked by V8's WebAssembly.compile in the tests that use it.
 */

export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n;
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function name(s: string): number[] {
  const b = [...Buffer.from(s, 'utf8')];
  return [...uleb(b.length), ...b];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

export interface CoreModuleSpec {
  /** function imports, all of type () -> () */
  imports?: Array<{ module: string; name: string }>;
  /** exported functions (each gets an empty body) */
  exports?: string[];
  /** export a memory under this name */
  memoryExport?: string;
  customSections?: Array<{ name: string; payload: Uint8Array }>;
}

export function encodeCoreModule(spec: CoreModuleSpec): Uint8Array {
  const imports = spec.imports ?? [];
  const exports = spec.exports ?? [];
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  out.push(...section(1, vec([[0x60, 0x00, 0x00]])));
  if (imports.length > 0) out.push(...section(2, vec(imports.map((i) => [...name(i.module), ...name(i.name), 0x00, 0x00]))));
  if (exports.length > 0) out.push(...section(3, vec(exports.map(() => [0x00]))));
  if (spec.memoryExport !== undefined) out.push(...section(5, vec([[0x00, 0x01]])));
  const exportEntries = exports.map((e, i) => [...name(e), 0x00, ...uleb(imports.length + i)]);
  if (spec.memoryExport !== undefined) exportEntries.push([...name(spec.memoryExport), 0x02, 0x00]);
  if (exportEntries.length > 0) out.push(...section(7, vec(exportEntries)));
  if (exports.length > 0) out.push(...section(10, vec(exports.map(() => [0x02, 0x00, 0x0b]))));
  for (const c of spec.customSections ?? []) out.push(...section(0, [...name(c.name), ...c.payload]));
  return new Uint8Array(out);
}

/** A producers section payload (tool-conventions ProducersSection.md). */
export function producersPayload(fields: Record<string, Array<[string, string]>>): Uint8Array {
  const entries = Object.entries(fields).map(([field, values]) => [...name(field), ...vec(values.map(([n, v]) => [...name(n), ...name(v)]))]);
  return new Uint8Array(vec(entries));
}

/** A component preamble (version 0x0d, layer 1) followed by raw sections. */
export function componentWith(sections: number[][]): Uint8Array {
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, ...sections.flat()]);
}

export { section as encodeSection };
