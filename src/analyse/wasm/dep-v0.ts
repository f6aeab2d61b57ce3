import { inflateSync } from 'node:zlib';
import type { EmbeddedDependency } from '../../contract/input-v1.ts';
import { WasmInspectError } from '../../common/wasm/error.ts';
import { MAX_EMBEDDED_PACKAGES } from './limits.ts';

/**
 * Decodes cargo-auditable's `.dep-v0` section: zlib (RFC 1950) compressed JSON
 * `{"packages":[{"name","version","source","kind"?,"dependencies"?,"root"?}],"format"?}`.
 * Inflation stops at `maxInflatedBytes`, so a zlib bomb fails with
 * WASM_DEP_V0_TOO_LARGE after bounded work and memory.
 */
export function parseDepV0(payload: Uint8Array, maxInflatedBytes: number): EmbeddedDependency[] {
  let json: Buffer;
  try {
    json = inflateSync(payload, { maxOutputLength: maxInflatedBytes });
  } catch (cause) {
    if (isTooLarge(cause)) {
      throw new WasmInspectError(
        'WASM_DEP_V0_TOO_LARGE',
        `the .dep-v0 section inflates past ${maxInflatedBytes} bytes (a zlib bomb or an absurd dependency list); raise the bound only for a module you trust`,
        { cause },
      );
    }
    throw new WasmInspectError('WASM_DEP_V0_INVALID', 'the .dep-v0 section is not valid zlib data (cargo-auditable writes zlib-compressed JSON)', { cause });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json.toString('utf8'));
  } catch (cause) {
    throw new WasmInspectError('WASM_DEP_V0_INVALID', 'the .dep-v0 section does not hold JSON after inflating', { cause });
  }
  return toDependencies(doc);
}

function isTooLarge(err: unknown): boolean {
  return err instanceof RangeError || (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE');
}

function toDependencies(doc: unknown): EmbeddedDependency[] {
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { packages?: unknown }).packages)) {
    throw new WasmInspectError('WASM_DEP_V0_INVALID', 'the .dep-v0 JSON has no "packages" array (not cargo-auditable\'s format)');
  }
  const packages = (doc as { packages: unknown[] }).packages;
  if (packages.length > MAX_EMBEDDED_PACKAGES) {
    throw new WasmInspectError('WASM_DEP_V0_TOO_LARGE', `the .dep-v0 list has ${packages.length} packages, more than the bound of ${MAX_EMBEDDED_PACKAGES}`);
  }
  return packages.map((p, i) => toDependency(p, i));
}

function toDependency(p: unknown, index: number): EmbeddedDependency {
  const rec = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
  const { name, version, source, kind } = rec;
  if (typeof name !== 'string' || typeof version !== 'string' || typeof source !== 'string') {
    throw new WasmInspectError('WASM_DEP_V0_INVALID', `.dep-v0 packages[${index}] lacks a string name, version or source (all three are required)`);
  }
  if (kind !== undefined && typeof kind !== 'string') {
    throw new WasmInspectError('WASM_DEP_V0_INVALID', `.dep-v0 packages[${index}].kind is not a string`);
  }
  // cargo-auditable omits kind for runtime dependencies
  return { name, version, source, kind: kind ?? 'runtime' };
}
