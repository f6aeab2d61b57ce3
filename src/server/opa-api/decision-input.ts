import type { ErrorEntry, RequestV1 } from '../../contract/input-v1.ts';
import { badRequest } from './errors.ts';
import { isRecord as isObject } from '../../common/is-record.ts';

/** Fields of the input document wasmgate assembles itself for a decision path. */
export const EVIDENCE_FIELDS: readonly string[] = ['signatures', 'sbom_attestations', 'provenance_attestations', 'other_attestations', 'vulnerability_scan', 'errors'];

/** The largest `input.request` accepted (serialised bytes): it is copied into the policy input and the cache key. */
export const MAX_REQUEST_BYTES = 16 * 1024;

export interface DecisionInput {
  /** the module to decide on; null when the caller named none (the policy then sees no evidence) */
  ref: string | null;
  request: Partial<RequestV1> | undefined;
}

/**
 * What a caller may send for a path at, under or above a decision path: anything OPA
 * accepts except evidence. Evidence (signatures, attestations, scans, errors,
 * module digest/layers/wasm) is wasmgate's to collect: a caller that sends it gets
 * a 400 naming the fields. Other caller fields are accepted and not passed to the
 * policy (its input is the document wasmgate assembles; caller context goes in
 * `input.request`). No input, or no `module.ref`, is a decision on no evidence.
 */
export function toDecisionInput(input: unknown, hasInput: boolean, path: string): DecisionInput {
  if (!hasInput) return { ref: null, request: undefined };
  if (!isObject(input)) {
    throw badRequest(`the input for data.${path.replaceAll('/', '.')} must be an object like {"module":{"ref":"registry/repo@sha256:…"}}`);
  }
  const evidence: string[] = [];
  for (const k of Object.keys(input)) if (EVIDENCE_FIELDS.includes(k)) evidence.push(`input.${k}`);
  const module = input.module;
  if (module !== undefined && !isObject(module)) throw badRequest(`input.module must be an object with "ref", e.g. {"module":{"ref":"registry/repo@sha256:…"}}`);
  if (module !== undefined) for (const k of Object.keys(module)) if (k !== 'ref') evidence.push(`input.module.${k}`);
  if (evidence.length > 0) {
    throw badRequest(`data.${path.replaceAll('/', '.')} is decided on evidence wasmgate assembles itself: remove ${evidence.join(', ')} from the input and send input.module.ref (and optionally input.request)`);
  }
  const request = input.request;
  if (request !== undefined && !isObject(request)) throw badRequest('input.request must be an object, e.g. {"runtime":"wasmcloud"}');
  if (request !== undefined && Buffer.byteLength(JSON.stringify(request)) > MAX_REQUEST_BYTES) {
    throw badRequest(`input.request is larger than ${MAX_REQUEST_BYTES} bytes: send only the caller context the policy needs`);
  }
  if (module === undefined || module.ref === undefined) return { ref: null, request: request as Partial<RequestV1> | undefined };
  if (typeof module.ref !== 'string' || module.ref.length === 0) throw badRequest(`input.module.ref must be a non-empty string naming the module, e.g. "registry/repo@sha256:…"`);
  return { ref: module.ref, request: request as Partial<RequestV1> | undefined };
}

/** The error entry of a decision asked without input.module.ref (the policy denies on input.errors). */
export const MODULE_REF_MISSING: ErrorEntry = {
  code: 'module_ref_missing',
  message: 'the input names no module (input.module.ref): wasmgate assembled no evidence; send {"input":{"module":{"ref":"registry/repo@sha256:…"}}}',
};

/**
 * The input the policy sees when wasmgate assembled no evidence (no module.ref, or a
 * fail-closed decision): the caller's `request` and the errors saying why.
 */
export function evidencelessInput(errors: readonly ErrorEntry[], request: DecisionInput['request']): Record<string, unknown> {
  return { ...(request !== undefined ? { request } : {}), errors: [...errors] };
}
