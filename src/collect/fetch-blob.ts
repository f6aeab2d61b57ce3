import type { ArtifactStore, FetchOptions } from '../oci/store.ts';
import type { ModuleTarget, OciDescriptor } from '../oci/types.ts';

/**
 * Fetches one blob of a module (typically `target.wasmLayer`) by digest from the store the module came from:
 * size-bounded before reading, digest-checked after. Prefer `Collector.fetchBlob`, which picks the store (and
 * its cache) from `target.repository`.
 */
export function fetchBlob(store: ArtifactStore, target: Pick<ModuleTarget, 'repository'>, descriptor: Pick<OciDescriptor, 'digest' | 'size'>, opts: FetchOptions = {}): Promise<Uint8Array> {
  return store.fetchBlob(target.repository, descriptor, opts);
}
