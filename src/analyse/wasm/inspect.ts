import { createHash } from 'node:crypto';
import type { EmbeddedDependency, WasmFactsV1, WasmProducers } from '../../contract/input-v1.ts';
import { parseDepV0 } from './dep-v0.ts';
import { WasmInspectError } from '../../common/wasm/error.ts';
import { DEFAULT_MAX_DEP_V0_BYTES, DEFAULT_MAX_WASM_BYTES } from './limits.ts';
import { parseProducers } from './producers.ts';
import { unitName } from './names.ts';
import { walkWasm, type WasmKind } from './walk.ts';

export interface InspectOptions {
  /** refuse modules larger than this (default 64 MiB); checked before anything is read */
  maxBytes?: number;
  /** what `.dep-v0` may inflate to (default 8 MiB) */
  maxDepV0Bytes?: number;
  /** the digest when the caller already has it (e.g. the OCI layer digest); else sha256 of the bytes */
  digest?: string;
  /** how the caller lets a user raise `maxBytes`, named in the WASM_TOO_LARGE message (e.g. `--max-bytes`) */
  maxBytesSetting?: string;
}

/** One module or component of the binary: the top level (index 0), then the nested ones in file order. */
export interface WasmModuleFacts {
  index: number;
  kind: WasmKind;
  /** 0 for the top level, 1 inside it, … */
  depth: number;
  /** index of the enclosing component; null for the top level */
  parent: number | null;
  /** its name from the `name` / `component-name` custom section, else null */
  name: string | null;
  /** sections after the 8-byte header; 0 is an empty (valid) module */
  sections: number;
  /** this unit's own `producers` section; null when it has none */
  producers: WasmProducers | null;
}

/**
 * The facts of WasmFactsV1 plus `modules`: every module and component with its own
 * producers (`producers` above merges them all, for the policy's toolchain rule).
 */
export interface WasmFacts extends WasmFactsV1 {
  modules: WasmModuleFacts[];
}

/**
 * Reads what a WebAssembly binary says about itself: whether it is a core
 * module or a component, its imports and exports (WIT-level names for a
 * component, `module#name` for a core module), its custom sections, the
 * `producers` toolchain and cargo-auditable's embedded dependency list.
 * Parsing is bounded: size first, then every length against what remains.
 * Throws WasmInspectError on malformed or oversized input.
 */
export function inspectWasm(bytes: Uint8Array, options: InspectOptions = {}): WasmFacts {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_WASM_BYTES;
  checkSize(bytes.length, maxBytes, options.maxBytesSetting);
  const walked = walkWasm(bytes);
  const producers = parseProducers(walked.customSections.filter((s) => s.name === 'producers').map((s) => s.payload));
  const depSections = walked.customSections.filter((s) => s.name === '.dep-v0');
  const maxDep = options.maxDepV0Bytes ?? DEFAULT_MAX_DEP_V0_BYTES;
  const embedded = depSections.length === 0 ? null : mergeDependencies(depSections.map((s) => parseDepV0(s.payload, maxDep)));
  return {
    digest: options.digest ?? `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    kind: walked.kind,
    imports: walked.imports,
    exports: walked.exports,
    producers,
    embedded_dependencies: embedded,
    custom_sections: walked.customSections.map((s) => ({ name: s.name, size: s.size })),
    modules: walked.units.map((u) => {
      const own = walked.customSections.filter((s) => s.unit === u.index);
      return {
        index: u.index,
        kind: u.kind,
        depth: u.depth,
        parent: u.parent,
        name: unitName(u.kind, own),
        sections: u.sections,
        producers: parseProducers(own.filter((s) => s.name === 'producers').map((s) => s.payload)),
      };
    }),
  };
}

/**
 * The size bound, for callers that know a size before they have the bytes (a descriptor, a file's stat).
 * `setting` names how the caller's user raises the bound (the CLI passes `--max-bytes`); without it the
 * message says the bound is wasmgate's built-in one (the service has no setting for it).
 */
export function checkSize(size: number, maxBytes: number = DEFAULT_MAX_WASM_BYTES, setting?: string): void {
  if (size > maxBytes) {
    const raise = setting === undefined
      ? `wasmgate's built-in inspection bound (the decision service does not raise it; \`wasmgate inspect --max-bytes\` does for one file)`
      : `raise ${setting} only for modules you expect to be that large`;
    throw new WasmInspectError(
      'WASM_TOO_LARGE',
      `the module is ${size} bytes, over the inspection bound of ${maxBytes} bytes; ${raise}`,
      { details: { size, maxBytes } },
    );
  }
}

function mergeDependencies(lists: EmbeddedDependency[][]): EmbeddedDependency[] {
  const seen = new Set<string>();
  const out: EmbeddedDependency[] = [];
  for (const list of lists) {
    for (const d of list) {
      const key = `${d.name}\u0000${d.version}\u0000${d.source}\u0000${d.kind ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}
