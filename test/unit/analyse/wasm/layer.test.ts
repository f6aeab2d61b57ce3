import { describe, expect, it } from 'vitest';
import { inspectWasmLayer, WasmInspectError } from '../../../../src/analyse/wasm/index.ts';
import type { ArtifactStore, FetchOptions } from '../../../../src/oci/store.ts';
import { readComponentFixture } from '../../../support/wasm/fixtures.ts';

/** An in-memory ArtifactStore serving blobs by digest, recording what was asked. */
function createFakeStore(blobs: Record<string, Uint8Array>): ArtifactStore & { calls: Array<{ digest: string; opts: FetchOptions | undefined }> } {
  const calls: Array<{ digest: string; opts: FetchOptions | undefined }> = [];
  return {
    kind: 'oci-layout',
    id: 'fake',
    calls,
    fetchManifest: async () => { throw new Error('not used'); },
    fetchBlob: async (_repo, d, opts) => {
      calls.push({ digest: d.digest, opts });
      const b = blobs[d.digest];
      if (!b) throw new Error(`no blob ${d.digest}`);
      return b;
    },
    listReferrers: async () => undefined,
    listTags: async () => [],
    close: async () => {},
  };
}

describe('inspectWasmLayer', () => {
  const bytes = readComponentFixture();
  const digest = 'sha256:08f5ca274d735d1f00a7b0c17e751a03e7fe0d25d98b7deeb053231148a0565b';

  it('fetches the wasm layer by digest with the size bound and inspects it', async () => {
    const store = createFakeStore({ [digest]: bytes });
    const facts = await inspectWasmLayer(store, {
      repository: 'oci:/tmp/x',
      wasmLayer: { digest, size: bytes.length, mediaType: 'application/wasm' },
    }, { maxBytes: 1_000_000 });
    expect(facts?.digest).toBe(digest);
    expect(facts?.kind).toBe('component');
    expect(store.calls).toEqual([{ digest, opts: { maxBytes: 1_000_000 } }]);
  });

  it('refuses a layer whose descriptor is over the bound without fetching it', async () => {
    const store = createFakeStore({});
    await expect(
      inspectWasmLayer(store, { repository: 'r', wasmLayer: { digest, size: 100 * 1024 * 1024, mediaType: 'application/wasm' } }),
    ).rejects.toMatchObject({ code: 'WASM_TOO_LARGE' });
    await expect(
      inspectWasmLayer(store, { repository: 'r', wasmLayer: { digest, size: 100 * 1024 * 1024, mediaType: 'application/wasm' } }),
    ).rejects.toBeInstanceOf(WasmInspectError);
    expect(store.calls).toEqual([]);
  });

  it('returns null when the manifest has no wasm layer', async () => {
    expect(await inspectWasmLayer(createFakeStore({}), { repository: 'r' })).toBeNull();
  });
});
