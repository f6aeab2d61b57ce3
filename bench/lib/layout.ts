import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { minimalWasmModule, WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE } from '../../test/support/evidence.ts';

const sha = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * Writes an OCI image layout with `count` distinct wasm modules (unsigned), each
 * tagged `m<i>`, straight to disk (no registry, no tools). Returns the manifest digests.
 */
export async function writeModuleLayout(dir: string, count: number): Promise<string[]> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (bytes: Uint8Array): Promise<string> => {
    const d = sha(bytes);
    await writeFile(join(blobs, d.slice(7)), bytes);
    return d;
  };
  const config = new TextEncoder().encode('{}');
  const configDigest = await put(config);
  const manifests: Array<{ mediaType: string; digest: string; size: number; annotations: Record<string, string> }> = [];
  for (let i = 0; i < count; i++) {
    const wasm = minimalWasmModule(`scale-module-${i}`);
    const wasmDigest = await put(wasm);
    const manifest = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/wasm',
        config: { mediaType: WASM_CONFIG_MEDIA_TYPE, digest: configDigest, size: config.byteLength },
        layers: [{ mediaType: WASM_LAYER_MEDIA_TYPE, digest: wasmDigest, size: wasm.byteLength, annotations: { 'org.opencontainers.image.title': `m${i}.wasm` } }],
      }),
    );
    const digest = await put(manifest);
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifest.byteLength, annotations: { 'org.opencontainers.image.ref.name': `m${i}` } });
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  return manifests.map((m) => m.digest);
}
