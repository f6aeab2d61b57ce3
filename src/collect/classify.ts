import { MEDIA_TYPES } from '../oci/media-types.ts';
import type { RawEvidenceKind } from '../oci/types.ts';

/** What kind of evidence a layer is, by its media type; undefined for anything that is not signed evidence. */
export function classifyLayer(layerMediaType: string): RawEvidenceKind | undefined {
  if (layerMediaType.startsWith(MEDIA_TYPES.sigstoreBundlePrefix)) return 'sigstore-bundle';
  if (layerMediaType === MEDIA_TYPES.cosignSimpleSigning) return 'cosign-legacy-signature';
  if (layerMediaType === MEDIA_TYPES.dsseEnvelope) return 'cosign-legacy-attestation';
  return undefined;
}

/**
 * The predicate type a carrier announces (not trusted: verification reads it from the signed statement):
 * cosign v3 bundles carry it as a manifest annotation, legacy `.att` layers as a layer annotation.
 */
export function announcedPredicateType(manifestAnnotations: Record<string, string> | undefined, layerAnnotations: Record<string, string> | undefined): string | undefined {
  return manifestAnnotations?.['dev.sigstore.bundle.predicateType'] ?? layerAnnotations?.predicateType;
}
