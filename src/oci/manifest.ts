import type { OciDescriptor } from './types.ts';

/** The two OCI documents a reference resolves to (parsed by registry/manifest.ts). */
export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  artifactType?: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
  subject?: OciDescriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  artifactType?: string;
  manifests: OciDescriptor[];
  subject?: OciDescriptor;
  annotations?: Record<string, string>;
}

export type ManifestDocument = ImageManifest | ImageIndex;
