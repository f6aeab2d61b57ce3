import { createHash } from 'node:crypto';
import type { EmbeddedDependency, WasmFactsV1 } from '../../contract/input-v1.ts';
import { parseDepV0 } from './dep-v0.ts';
import { WasmInspectError } from './error.ts';
import { DEFAULT_MAX_DEP_V0_BYTES, DEFAULT_MAX_WASM_BYTES } from './limits.ts';
import { parseProducers } from './producers.ts';
import { walkWasm } from './walk.ts';

export interface InspectOptions {
  /** refuse modules larger than this (default 64 MiB); checked before anything is read */
  maxBytes?: number;
  /** what `.dep-v0` may inflate to (default 8 MiB) */
  maxDepV0Bytes?: number;
  /** the digest when the caller already has it (e.g. the OCI layer digest); else sha256 of the bytes */
  digest?: string;
}

/**
 * Reads what a WebAssembly binary says about itself: whether it is a core
 * module or a component, its imports and exports (WIT-level names for a
 * component, `module#name` for a core module), its custom sections, the
 * `producers` toolchain and cargo-auditable's embedded dependency list.
 * Parsing is bounded: size first, then every length against what remains.
 * Throws WasmInspectError on malformed or oversized input.
 */
export function inspectWasm(bytes: Uint8Array, options: InspectOptions = {}): WasmFactsV1 {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_WASM_BYTES;
  checkSize(bytes.length, maxBytes);
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
  };
}

/** The size bound, for callers that know a size before they have the bytes (a descriptor, a file's stat). */
export function checkSize(size: number, maxBytes: number = DEFAULT_MAX_WASM_BYTES): void {
  if (size > maxBytes) {
    throw new WasmInspectError(
      'WASM_TOO_LARGE',
      `the module is ${size} bytes, over the inspection bound of ${maxBytes} bytes; raise wasm.max_bytes only for modules you expect to be that large`,
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
