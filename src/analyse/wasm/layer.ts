import type { ArtifactStore, FetchOptions } from '../../oci/store.ts';
import type { ModuleTarget } from '../../oci/types.ts';
import { checkSize, inspectWasm, type InspectOptions, type WasmFacts } from './inspect.ts';
import { DEFAULT_MAX_WASM_BYTES } from './limits.ts';

/**
 * Fetches a module's wasm layer by digest (the descriptor's size is checked
 * against the bound before a byte is fetched; the store checks the digest)
 * and inspects it. Returns null when the manifest has no wasm layer.
 */
export async function inspectWasmLayer(
  store: ArtifactStore,
  target: Pick<ModuleTarget, 'repository' | 'wasmLayer'>,
  options: InspectOptions & Pick<FetchOptions, 'signal' | 'deadlineAt'> = {},
): Promise<WasmFacts | null> {
  const layer = target.wasmLayer;
  if (!layer) return null;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_WASM_BYTES;
  checkSize(layer.size, maxBytes, options.maxBytesSetting);
  const fetchOptions: FetchOptions = { maxBytes };
  if (options.signal) fetchOptions.signal = options.signal;
  if (options.deadlineAt !== undefined) fetchOptions.deadlineAt = options.deadlineAt;
  const bytes = await store.fetchBlob(target.repository, { digest: layer.digest, size: layer.size }, fetchOptions);
  const inspectOptions: InspectOptions = { maxBytes, digest: layer.digest };
  if (options.maxBytesSetting !== undefined) inspectOptions.maxBytesSetting = options.maxBytesSetting;
  if (options.maxDepV0Bytes !== undefined) inspectOptions.maxDepV0Bytes = options.maxDepV0Bytes;
  return inspectWasm(bytes, inspectOptions);
}
