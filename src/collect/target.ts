import { ANNOTATIONS, INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, WASM_LAYER_MEDIA_TYPES } from '../oci/media-types.ts';
import { RegistryError } from '../registry/error.ts';
import type { ImageIndex } from '../registry/manifest.ts';
import type { FetchedManifest } from '../oci/store.ts';
import type { ModuleTarget, OciDescriptor } from '../oci/types.ts';

/**
 * The index rule. When a reference names an image index, the module is ONE child manifest:
 *  1. the first child whose platform architecture is `wasm` (os wasip1/wasip2/wasi/…);
 *  2. otherwise, when exactly one child is a manifest that is not an attestation/signature manifest
 *     (docker's `vnd.docker.reference.type` annotation), that one;
 *  3. otherwise MANIFEST_UNKNOWN — wasmgate does not guess.
 * The module digest is the selected manifest's digest; evidence attached to the index digest counts as well
 * (both digests are searched, and `ModuleTarget.indexDigest` names the index).
 */
export function selectManifest(index: ImageIndex, what: string): OciDescriptor {
  const manifests = index.manifests.filter((d) => MANIFEST_MEDIA_TYPES.includes(d.mediaType));
  const wasm = manifests.find((d) => d.platform?.architecture === 'wasm');
  if (wasm) return wasm;
  const plain = manifests.filter((d) => d.annotations?.['vnd.docker.reference.type'] === undefined && d.artifactType === undefined);
  if (plain.length === 1 && plain[0]) return plain[0];
  const nested = index.manifests.some((d) => INDEX_MEDIA_TYPES.includes(d.mediaType));
  throw new RegistryError('MANIFEST_UNKNOWN', `${what} is an image index with ${index.manifests.length} entries and no single wasm manifest (platform architecture "wasm")${nested ? '; nested indexes are not followed' : ''}; name the module manifest by digest`);
}

export function toModuleTarget(ref: string, repository: string, manifest: FetchedManifest, index: FetchedManifest | undefined): ModuleTarget {
  const doc = manifest.document;
  if (doc.kind !== 'manifest') throw new RegistryError('MANIFEST_INVALID', `${repository}@${manifest.digest} is not an image manifest`);
  const target: ModuleTarget = { ref, repository, digest: manifest.digest, mediaType: manifest.mediaType, layers: doc.layers };
  const artifactType = doc.artifactType ?? doc.config.mediaType;
  if (artifactType) target.artifactType = artifactType;
  const wasmLayer = doc.layers.find((l) => WASM_LAYER_MEDIA_TYPES.includes(l.mediaType));
  if (wasmLayer) target.wasmLayer = wasmLayer;
  if (index) target.indexDigest = index.digest;
  return target;
}

export { ANNOTATIONS };
