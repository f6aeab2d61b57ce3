import type { RequestV1 } from '../../assemble/input-v1.ts';
import { badRequest } from './errors.ts';

/** Fields of the input document wasmgate assembles itself for a decision path. */
export const EVIDENCE_FIELDS: readonly string[] = ['signatures', 'sbom_attestations', 'provenance_attestations', 'other_attestations', 'vulnerability_scan', 'errors'];

export interface DecisionInput {
  ref: string;
  request: Partial<RequestV1> | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks what a caller may send for a decision path: `{"module":{"ref":…},"request":{…}}`.
 * Evidence (signatures, attestations, scans, module digest/layers/wasm) is wasmgate's to collect:
 * a caller that sends it gets a 400 saying so.
 */
export function toDecisionInput(input: unknown, path: string): DecisionInput {
  if (!isObject(input)) {
    throw badRequest(`the input for ${path} must be an object like {"module":{"ref":"registry/repo@sha256:…"}}`);
  }
  const evidence: string[] = [];
  const unknown: string[] = [];
  for (const k of Object.keys(input)) {
    if (k === 'module' || k === 'request') continue;
    (EVIDENCE_FIELDS.includes(k) ? evidence : unknown).push(`input.${k}`);
  }
  const module = input.module;
  if (!isObject(module)) throw badRequest(`input.module must be an object with "ref" for ${path}, e.g. {"module":{"ref":"registry/repo@sha256:…"}}`);
  for (const k of Object.keys(module)) if (k !== 'ref') evidence.push(`input.module.${k}`);
  if (evidence.length > 0) {
    throw badRequest(`${path} assembles its evidence itself: remove ${evidence.join(', ')} from the input and send only input.module.ref and input.request`);
  }
  if (unknown.length > 0) throw badRequest(`unknown input fields for ${path}: ${unknown.join(', ')}; send only input.module.ref and input.request`);
  if (typeof module.ref !== 'string' || module.ref.length === 0) throw badRequest(`input.module.ref must be a non-empty string naming the module, e.g. "registry/repo@sha256:…"`);
  const request = input.request;
  if (request !== undefined && !isObject(request)) throw badRequest('input.request must be an object, e.g. {"runtime":"wasmcloud"}');
  return { ref: module.ref, request: request as Partial<RequestV1> | undefined };
}
