import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTar } from '../../../src/policy/engine/archive.ts';
import { toArrayBuffer } from '../../../src/policy/engine/instance.ts';
import { wasmApi } from '../../../src/policy/engine/wasm-api.ts';
import { EngineError, embeddedBundlePath, loadBundle } from '../../../src/policy/engine/index.ts';
import { tarGz } from './support.ts';
import { exportedGlobalValue, withExportedGlobal } from './wasm-globals.ts';

// The committed bundle's files; each case swaps in a policy.wasm whose ABI globals were rewritten, keeping
// the same .manifest and data.
let files: Map<string, Uint8Array>;
let wasm: Uint8Array;

beforeAll(async () => {
  files = parseTar(gunzipSync(await readFile(embeddedBundlePath())));
  const w = files.get('policy.wasm');
  if (w === undefined) throw new Error('the committed bundle has no policy.wasm');
  wasm = w;
});

function bundleWith(policyWasm: Uint8Array): Uint8Array {
  return tarGz([...files].map(([name, body]) => ({ name: `/${name}`, body: name === 'policy.wasm' ? policyWasm : body })));
}

async function loadError(bytes: Uint8Array): Promise<EngineError> {
  const err = await loadBundle(bytes).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

describe('loadBundle and the OPA wasm ABI version', () => {
  it('reads the committed module as ABI 1.x with x ≥ 2, and loads it re-packed unchanged (control)', async () => {
    expect(exportedGlobalValue(wasm, 'opa_wasm_abi_version')).toBe(1);
    expect(exportedGlobalValue(wasm, 'opa_wasm_abi_minor_version')).toBeGreaterThanOrEqual(2);
    const same = withExportedGlobal(wasm, 'opa_wasm_abi_version', 1);
    expect(Buffer.compare(same, wasm)).toBe(0);
    const b = await loadBundle(bundleWith(same), { requiredEntrypoints: ['wasm/sbom/allow'] });
    expect(b.entrypoints).toContain('wasm/sbom/allow');
  });

  describe('when opa_wasm_abi_version is not 1', () => {
    for (const major of [2, 0, 1000]) {
      it(`refuses major version ${major} with WASM_ABI_UNSUPPORTED`, async () => {
        const patched = withExportedGlobal(wasm, 'opa_wasm_abi_version', major);
        await expect(wasmApi.compile(toArrayBuffer(patched))).resolves.toBeDefined(); // still a valid module
        expect(exportedGlobalValue(patched, 'opa_wasm_abi_version')).toBe(major);
        // 1000 needs a two-byte LEB128 immediate: the global section's length is re-encoded
        if (major === 1000) expect(patched.length).toBe(wasm.length + 1);
        const err = await loadError(bundleWith(patched));
        expect(err.code).toBe('WASM_ABI_UNSUPPORTED');
        expect(err.message).toContain(`unsupported ABI version ${major}`);
      });
    }
  });

  describe('when opa_wasm_abi_minor_version is below 2 (no opa_eval fast path)', () => {
    for (const minor of [0, 1]) {
      it(`refuses ABI 1.${minor} with WASM_ABI_UNSUPPORTED`, async () => {
        const patched = withExportedGlobal(wasm, 'opa_wasm_abi_minor_version', minor);
        expect(exportedGlobalValue(patched, 'opa_wasm_abi_minor_version')).toBe(minor);
        const err = await loadError(bundleWith(patched));
        expect(err.code).toBe('WASM_ABI_UNSUPPORTED');
        expect(err.message).toContain(`ABI 1.${minor}`);
        expect(err.message).toContain('1.2 or later');
      });
    }
  });
});
