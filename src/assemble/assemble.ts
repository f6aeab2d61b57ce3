import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { CollectedEvidence } from '../oci/types.ts';
import { AssembleError } from './error.ts';
import type { ErrorEntry, Evidence, InputV1, RequestV1, VulnerabilityScan, WasmFactsV1 } from '../contract/input-v1.ts';
import { inputV1Schema } from './schema.ts';

export interface VerifiedGroups {
  signatures: Evidence[];
  sbom_attestations: Evidence[];
  provenance_attestations: Evidence[];
  other_attestations: Evidence[];
}

export interface AssembleParts {
  collected: CollectedEvidence;
  verified: VerifiedGroups;
  wasm: WasmFactsV1 | null;
  scan: VulnerabilityScan;
  request?: Partial<RequestV1>;
  errors?: ErrorEntry[];
  now?: Date;
}

type AjvFormats = (ajv: Ajv) => Ajv;
const addFormats = addFormatsModule as unknown as AjvFormats;
let validator: ReturnType<Ajv['compile']> | undefined;

function validate(doc: InputV1): void {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    validator = ajv.compile(inputV1Schema);
  }
  if (!validator(doc)) {
    const first = validator.errors?.[0];
    throw new AssembleError(
      'INPUT_SCHEMA_INVALID',
      `assembled input document is invalid at ${first?.instancePath || '/'}: ${first?.message ?? 'unknown error'} (a wasmgate bug: please report it)`,
      { details: { errors: validator.errors } },
    );
  }
}

/** Evidence order is deterministic: verified first, then by manifest digest. */
function ordered(list: Evidence[]): Evidence[] {
  return [...list].sort((a, b) =>
    a.verified === b.verified ? (a.manifest_digest < b.manifest_digest ? -1 : a.manifest_digest > b.manifest_digest ? 1 : 0) : a.verified ? -1 : 1,
  );
}

/** Builds the policy input document (ARCHITECTURE.md §2) and checks it against its schema. */
export function assembleInput(parts: AssembleParts): InputV1 {
  const { collected, verified } = parts;
  const m = collected.module;
  const request: RequestV1 = { ...(parts.request ?? {}), time: (parts.now ?? new Date()).toISOString() };
  const doc: InputV1 = {
    module: {
      ref: m.ref,
      repository: m.repository,
      digest: m.digest,
      media_type: m.mediaType,
      ...(m.artifactType === undefined ? {} : { artifact_type: m.artifactType }),
      layers: m.layers.map((l) => ({ digest: l.digest, media_type: l.mediaType, size: l.size })),
      wasm: parts.wasm,
    },
    signatures: ordered(verified.signatures),
    sbom_attestations: ordered(verified.sbom_attestations),
    provenance_attestations: ordered(verified.provenance_attestations),
    other_attestations: ordered(verified.other_attestations),
    vulnerability_scan: parts.scan,
    request,
  };
  if (parts.errors && parts.errors.length > 0) doc.errors = parts.errors;
  validate(doc);
  return doc;
}
