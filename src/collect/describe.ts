import { announcedPredicateType } from './classify.ts';
import type { CollectedEvidence, RawEvidence } from '../oci/types.ts';

/**
 * Reads the predicate type a piece of evidence claims, WITHOUT verifying anything: from the DSSE statement
 * inside a Sigstore bundle or legacy envelope, else from the carrier's annotations. For display only
 * (`wasmgate evidence`); verification reads the signed statement itself.
 */
export function peekPredicateType(raw: RawEvidence): string | undefined {
  if (raw.kind === 'cosign-legacy-signature') return undefined;
  try {
    const doc = JSON.parse(Buffer.from(raw.payload).toString('utf8')) as { dsseEnvelope?: { payload?: unknown }; payload?: unknown };
    const b64 = raw.kind === 'sigstore-bundle' ? doc.dsseEnvelope?.payload : doc.payload;
    if (typeof b64 === 'string') {
      const statement = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as { predicateType?: unknown };
      if (typeof statement.predicateType === 'string') return statement.predicateType;
    }
  } catch {
    // not JSON: fall back to what the carrier announces
  }
  return announcedPredicateType(raw.annotations, raw.layer.annotations);
}

/** One row of `wasmgate evidence`: what was found, before verification. */
export interface EvidenceSummary {
  kind: RawEvidence['kind'];
  discovered_via: RawEvidence['discoveredVia'];
  manifest_digest: string;
  attached_to: string;
  artifact_type: string | null;
  layer: { media_type: string; digest: string; size: number };
  predicate_type: string | null;
  created: string | null;
}

export function summarizeEvidence(raw: RawEvidence): EvidenceSummary {
  return {
    kind: raw.kind,
    discovered_via: raw.discoveredVia,
    manifest_digest: raw.manifestDigest,
    attached_to: raw.attachedTo,
    artifact_type: raw.artifactType ?? null,
    layer: { media_type: raw.layer.mediaType, digest: raw.layer.digest, size: raw.layer.size },
    predicate_type: raw.kind === 'cosign-legacy-signature' ? 'cosign container image signature' : (peekPredicateType(raw) ?? null),
    created: raw.annotations?.['org.opencontainers.image.created'] ?? null,
  };
}

/** The found-evidence report (`wasmgate evidence --json`), stable snake_case keys. */
export interface FoundEvidenceReport {
  module: {
    ref: string; repository: string; digest: string; media_type: string; artifact_type: string | null; index_digest: string | null;
    layers: Array<{ media_type: string; digest: string; size: number }>;
    wasm_layer: { media_type: string; digest: string; size: number } | null;
  };
  evidence: EvidenceSummary[];
  warnings: Array<{ code: string; message: string }>;
}

export function buildFoundEvidenceReport(collected: CollectedEvidence): FoundEvidenceReport {
  const m = collected.module;
  const layer = (l: { mediaType: string; digest: string; size: number }): { media_type: string; digest: string; size: number } => ({ media_type: l.mediaType, digest: l.digest, size: l.size });
  return {
    module: {
      ref: m.ref, repository: m.repository, digest: m.digest, media_type: m.mediaType,
      artifact_type: m.artifactType ?? null, index_digest: m.indexDigest ?? null,
      layers: m.layers.map(layer), wasm_layer: m.wasmLayer ? layer(m.wasmLayer) : null,
    },
    evidence: collected.evidence.map(summarizeEvidence),
    warnings: collected.warnings,
  };
}
