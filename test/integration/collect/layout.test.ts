import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvidence, OciLayoutStore } from '../../../src/collect/index.ts';
import { WASM_CONTENT_LAYER_MEDIA_TYPE, cosignSave, createCosignKey, publishSignedModule, pushWasmModule, type CosignKey } from '../../support/evidence.ts';
import { startTestRegistry, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { rejectionCode } from '../../support/errors.ts';

const run = promisify(execFile);

const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'wasmgate-layout-'));

describe.skipIf(missingOutsideCi('oras'))('collectEvidence from an OCI layout written by oras push --oci-layout', () => {
  it('resolves oci:<dir>:<tag>, oci:<dir>@sha256:… and oci:<dir> to the same module', async () => {
    const dir = join(await tmp(), 'layout');
    const mod = await pushWasmModule({ layoutDir: dir, tag: 'v1', layerMediaType: WASM_CONTENT_LAYER_MEDIA_TYPE });
    for (const ref of [`oci:${dir}:v1`, `oci:${dir}@${mod.digest}`, `oci:${dir}`]) {
      const c = await collectEvidence(ref);
      expect(c.module).toMatchObject({ digest: mod.digest, repository: `oci:${dir}` });
      expect(c.module.wasmLayer).toMatchObject({ mediaType: WASM_CONTENT_LAYER_MEDIA_TYPE, digest: mod.wasmDigest });
      expect(c.evidence).toEqual([]);
    }
  });

  it('throws MANIFEST_UNKNOWN for a missing tag, LAYOUT_INVALID for a non-layout, DIGEST_MISMATCH for a tampered blob', async () => {
    const dir = join(await tmp(), 'layout');
    const mod = await pushWasmModule({ layoutDir: dir, tag: 'v1' });
    expect(await rejectionCode(collectEvidence(`oci:${dir}:v2`))).toBe('MANIFEST_UNKNOWN');
    expect(await rejectionCode(collectEvidence(`oci:${await tmp()}:v1`))).toBe('LAYOUT_INVALID');
    const store = new OciLayoutStore(dir);
    await writeFile(join(dir, 'blobs', 'sha256', mod.wasmDigest.slice(7)), 'tampered');
    expect(await rejectionCode(store.fetchBlob(`oci:${dir}`, { digest: mod.wasmDigest, size: 8 }))).toBe('DIGEST_MISMATCH');
  });
});

describe.skipIf(missingOutsideCi('oras', 'cosign', 'wasmgate-testregistry'))('collectEvidence from layouts copied out of a registry', () => {
  let reg: RunningRegistry;
  let key: CosignKey;
  beforeAll(async () => {
    [reg, key] = await Promise.all([startTestRegistry(), createCosignKey()]);
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('finds cosign v3 bundles copied with oras cp -r --to-oci-layout by scanning for subjects', async () => {
    const mod = await publishSignedModule({ registry: reg.host, key });
    const dir = join(await tmp(), 'copy');
    await run(requireTool('oras'), ['cp', '-r', '--from-plain-http', mod.ref, '--to-oci-layout', `${dir}:v1`]);
    const c = await collectEvidence(`oci:${dir}:v1`);
    expect(c.module.digest).toBe(mod.digest);
    expect(c.evidence).toHaveLength(3);
    expect(c.evidence.every((e) => e.kind === 'sigstore-bundle' && e.discoveredVia === 'oci-layout' && e.attachedTo === mod.digest)).toBe(true);
  });

  it('finds legacy .sig/.att written by cosign save', async () => {
    const mod = await publishSignedModule({ registry: reg.host, repository: 'wasm/saved', key, legacy: true });
    const dir = join(await tmp(), 'saved');
    await cosignSave(mod.ref, dir, key);
    for (const ref of [`oci:${dir}@${mod.digest}`, `oci:${dir}`]) {
      const c = await collectEvidence(ref);
      expect(c.module.digest).toBe(mod.digest);
      expect(c.evidence.map((e) => e.kind).sort()).toEqual(['cosign-legacy-attestation', 'cosign-legacy-attestation', 'cosign-legacy-signature']);
    }
  });

  it('finds the module but no bundles in what cosign save writes for v3 bundles (cosign save does not copy referrers)', async () => {
    const mod = await publishSignedModule({ registry: reg.host, repository: 'wasm/saved3', key });
    const dir = join(await tmp(), 'saved3');
    await cosignSave(mod.ref, dir, key);
    const c = await collectEvidence(`oci:${dir}`);
    expect(c.module.digest).toBe(mod.digest);
    expect(c.evidence).toEqual([]);
  });
});
