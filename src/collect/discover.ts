import { digestTag } from '../resolve/reference.ts';
import { ANNOTATIONS } from '../oci/media-types.ts';
import { isRegistryError } from '../registry/error.ts';
import type { ArtifactStore, FetchedManifest, FetchOptions } from '../oci/store.ts';
import type { OciDescriptor, RawEvidence } from '../oci/types.ts';

export type DiscoveredVia = RawEvidence['discoveredVia'];

/** One manifest that may carry evidence for `attachedTo`. */
export interface Candidate {
  /** the digest the candidate should be attached to */
  attachedTo: string;
  discoveredVia: DiscoveredVia;
  /** from a referrers list: its descriptor (fetched later, by digest) */
  descriptor?: OciDescriptor;
  /** from a legacy tag: the manifest, already fetched by tag */
  manifest?: FetchedManifest;
  /** the tag it was found under (legacy and referrers-tag) */
  tag?: string;
}

export interface Warning {
  code: string;
  message: string;
}

/**
 * Lists the referrers of one digest: the referrers API; when the store has none, the `sha256-<hex>` referrers
 * tag. A 200 with an empty list means "none" and does not fall back.
 */
export async function listReferrerCandidates(store: ArtifactStore, repository: string, digest: string, opts: FetchOptions & { artifactType?: string }, warnings: Warning[]): Promise<Candidate[]> {
  const list = await store.listReferrers(repository, digest, opts);
  if (list !== undefined) {
    const via: DiscoveredVia = store.kind === 'oci-layout' ? 'oci-layout' : 'referrers-api';
    return list.descriptors.map((descriptor) => ({ attachedTo: digest, discoveredVia: via, descriptor }));
  }
  const tag = digestTag(digest);
  const index = await fetchOptionalTag(store, repository, tag, opts);
  if (!index) return [];
  if (index.document.kind !== 'index') {
    warnings.push({ code: 'REFERRERS_TAG_INVALID', message: `tag ${tag} in ${repository} is a ${index.mediaType}, not an image index; it is ignored` });
    return [];
  }
  return index.document.manifests.map((descriptor) => ({ attachedTo: digest, discoveredVia: 'referrers-tag', descriptor, tag }));
}

/** cosign's legacy `.sig` / `.att` tags for one digest (`.sbom` is unsigned: reported as a warning, not returned). */
export async function listLegacyCandidates(store: ArtifactStore, repository: string, digest: string, opts: FetchOptions, warnings: Warning[]): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const [sig, att, sbom] = await Promise.all((['sig', 'att', 'sbom'] as const).map((s) => fetchOptionalTag(store, repository, digestTag(digest, s), opts)));
  if (sig) out.push({ attachedTo: digest, discoveredVia: 'cosign-legacy-tag', manifest: sig, tag: digestTag(digest, 'sig') });
  if (att) out.push({ attachedTo: digest, discoveredVia: 'cosign-legacy-tag', manifest: att, tag: digestTag(digest, 'att') });
  if (sbom) {
    warnings.push({ code: 'UNSIGNED_SBOM_IGNORED', message: `${repository}:${digestTag(digest, 'sbom')} holds an SBOM attached with cosign attach sbom; it is unsigned and is not used as evidence (attest it instead)` });
  }
  return out;
}

async function fetchOptionalTag(store: ArtifactStore, repository: string, tag: string, opts: FetchOptions): Promise<FetchedManifest | undefined> {
  try {
    return await store.fetchManifest(repository, tag, opts);
  } catch (err) {
    if (isRegistryError(err, 'MANIFEST_UNKNOWN')) return undefined;
    throw err;
  }
}

/**
 * Orders referrer descriptors newest first and drops duplicates. Newest = the `org.opencontainers.image.created`
 * annotation on the descriptor when present (the referrers API copies manifest annotations); descriptors without
 * one follow, latest-listed first (registries append).
 */
export function orderCandidates(candidates: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  const unique: Array<{ c: Candidate; time: number; pos: number }> = [];
  candidates.forEach((c, pos) => {
    const digest = c.descriptor?.digest ?? c.manifest?.digest ?? '';
    const key = `${c.attachedTo}\n${digest}`;
    if (seen.has(key)) return;
    seen.add(key);
    const created = c.descriptor?.annotations?.[ANNOTATIONS.created];
    const time = created === undefined ? Number.NEGATIVE_INFINITY : Date.parse(created);
    unique.push({ c, time: Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time, pos });
  });
  unique.sort((a, b) => (b.time === a.time ? b.pos - a.pos : b.time - a.time));
  return unique.map((u) => u.c);
}
