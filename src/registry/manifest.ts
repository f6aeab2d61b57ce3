import type { OciDescriptor } from '../oci/types.ts';
import type { ImageIndex, ImageManifest, ManifestDocument } from '../oci/manifest.ts';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, MEDIA_TYPES } from '../oci/media-types.ts';
import { RegistryError } from './error.ts';
import { DIGEST_RE } from '../resolve/grammar.ts';
import { isRecord } from '../common/is-record.ts';

export type { ImageIndex, ImageManifest, ManifestDocument } from '../oci/manifest.ts';

/** Upper bound on descriptors per document (cosign refuses more than 1000 layers). */
export const MAX_DESCRIPTORS = 1000;

function toAnnotations(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw bad(`${where}.annotations is not an object`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw bad(`${where}.annotations.${k} is not a string`);
    out[k] = val;
  }
  return out;
}

function bad(message: string): RegistryError {
  return new RegistryError('MANIFEST_INVALID', `malformed OCI document: ${message}`);
}

/** Checks one descriptor's shape: media type, sha256 digest, non-negative safe size. */
export function toDescriptor(v: unknown, where: string): OciDescriptor {
  if (!isRecord(v)) throw bad(`${where} is not an object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType.length === 0) throw bad(`${where}.mediaType is missing`);
  if (typeof digest !== 'string' || !DIGEST_RE.test(digest)) throw bad(`${where}.digest ${JSON.stringify(digest)} is not a sha256 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`${where}.size is not a non-negative integer`);
  const d: OciDescriptor = { mediaType, digest, size };
  if (typeof v.artifactType === 'string') d.artifactType = v.artifactType;
  const annotations = toAnnotations(v.annotations, where);
  if (annotations) d.annotations = annotations;
  if (isRecord(v.platform) && typeof v.platform.architecture === 'string' && typeof v.platform.os === 'string') {
    d.platform = { architecture: v.platform.architecture, os: v.platform.os };
    if (typeof v.platform.variant === 'string') d.platform.variant = v.platform.variant;
  }
  return d;
}

function toDescriptorList(v: unknown, where: string): OciDescriptor[] {
  if (!Array.isArray(v)) throw bad(`${where} is not an array`);
  if (v.length > MAX_DESCRIPTORS) {
    throw new RegistryError('SIZE_LIMIT_EXCEEDED', `${where} lists ${v.length} entries; at most ${MAX_DESCRIPTORS} are accepted`);
  }
  return v.map((d, i) => toDescriptor(d, `${where}[${i}]`));
}

/**
 * Parses manifest or index bytes. The body's own `mediaType` wins; the Content-Type header is used when the body
 * has none (Docker schema 2 always has one). The two must agree when both name a known type.
 */
export function parseManifestDocument(bytes: Uint8Array, contentType: string | undefined): ManifestDocument {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (cause) {
    throw new RegistryError('MANIFEST_INVALID', 'malformed OCI document: the manifest is not valid JSON', { cause });
  }
  if (!isRecord(json)) throw bad('top level is not an object');
  if (json.schemaVersion !== 2) throw bad(`schemaVersion is ${JSON.stringify(json.schemaVersion)}, expected 2`);
  const header = contentType?.split(';')[0]?.trim();
  const bodyType = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const known = (t: string | undefined): t is string => t !== undefined && (MANIFEST_MEDIA_TYPES.includes(t) || INDEX_MEDIA_TYPES.includes(t));
  if (known(bodyType) && known(header) && bodyType !== header) {
    throw bad(`body says mediaType ${bodyType} but the response is ${header}`);
  }
  let mediaType = bodyType ?? (known(header) ? header : undefined);
  if (mediaType === undefined) mediaType = Array.isArray(json.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
  const artifactType = typeof json.artifactType === 'string' ? json.artifactType : undefined;
  const annotations = toAnnotations(json.annotations, 'manifest');
  const subject = json.subject === undefined || json.subject === null ? undefined : toDescriptor(json.subject, 'subject');
  if (INDEX_MEDIA_TYPES.includes(mediaType)) {
    const doc: ImageIndex = { kind: 'index', mediaType, manifests: toDescriptorList(json.manifests ?? [], 'manifests') };
    if (artifactType) doc.artifactType = artifactType;
    if (annotations) doc.annotations = annotations;
    if (subject) doc.subject = subject;
    return doc;
  }
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) throw bad(`unsupported manifest media type ${JSON.stringify(mediaType)}`);
  const doc: ImageManifest = {
    kind: 'manifest',
    mediaType,
    config: toDescriptor(json.config, 'config'),
    layers: toDescriptorList(json.layers ?? [], 'layers'),
  };
  if (artifactType) doc.artifactType = artifactType;
  if (annotations) doc.annotations = annotations;
  if (subject) doc.subject = subject;
  return doc;
}
