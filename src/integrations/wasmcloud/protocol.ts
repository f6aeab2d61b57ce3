/**
 * The wasmCloud 1.x host's policy protocol (crates/host/src/policy.rs, v1.9.2).
 * The host sends a NATS request on its policy topic and caches the answer per
 * (kind, ids, imageRef[, interface, function]) with no expiry; a later message
 * on the policy-changes topic carrying the same requestId overrides it.
 */
import { WasmcloudError } from './error.ts';
import { isRecord } from '../../common/is-record.ts';

export type PolicyKindV1 = 'startComponent' | 'startProvider' | 'performInvocation';

export interface ComponentInfoV1 {
  componentId?: string;
  providerId?: string;
  imageRef: string;
  maxInstances?: number;
  annotations?: Record<string, string>;
  claims?: unknown;
}

export interface HostInfoV1 {
  publicKey: string;
  lattice: string;
  labels: Record<string, string>;
}

export type PolicyRequestV1 =
  | { requestId: string; kind: 'startComponent' | 'startProvider'; version: string; request: ComponentInfoV1; host: HostInfoV1 }
  | {
      requestId: string;
      kind: 'performInvocation';
      version: string;
      request: { interface: string; function: string; target: ComponentInfoV1 };
      host: HostInfoV1;
    };

export interface PolicyResponseV1 {
  requestId: string;
  permitted: boolean;
  message?: string;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

function toComponentInfo(v: unknown, where: string): ComponentInfoV1 {
  if (!isRecord(v)) throw invalid(`${where} is not an object`);
  if (typeof v.imageRef !== 'string') throw invalid(`${where}.imageRef is missing or not a string`);
  const info: ComponentInfoV1 = { imageRef: v.imageRef, annotations: stringMap(v.annotations), claims: v.claims ?? null };
  if (typeof v.componentId === 'string') info.componentId = v.componentId;
  if (typeof v.providerId === 'string') info.providerId = v.providerId;
  if (typeof v.maxInstances === 'number') info.maxInstances = v.maxInstances;
  return info;
}

function toHostInfo(v: unknown): HostInfoV1 {
  if (!isRecord(v)) return { publicKey: '', lattice: '', labels: {} };
  return {
    publicKey: typeof v.publicKey === 'string' ? v.publicKey : '',
    lattice: typeof v.lattice === 'string' ? v.lattice : '',
    labels: stringMap(v.labels),
  };
}

function invalid(why: string): WasmcloudError {
  return new WasmcloudError('WASMCLOUD_REQUEST_INVALID', `wasmCloud policy request rejected: ${why} (expected the wasmCloud 1.x v1 policy request shape)`);
}

/** Best effort: the requestId of a payload that may not parse as a full request (so a denial can echo it). */
export function requestIdOf(payload: unknown): string {
  return isRecord(payload) && typeof payload.requestId === 'string' ? payload.requestId : '';
}

/** Parses one decoded JSON payload into a typed request; throws WASMCLOUD_REQUEST_INVALID. */
export function parsePolicyRequest(payload: unknown): PolicyRequestV1 {
  if (!isRecord(payload)) throw invalid('the payload is not a JSON object');
  const { requestId, kind, version } = payload;
  if (typeof requestId !== 'string' || requestId === '') throw invalid('requestId is missing');
  if (version !== 'v1') throw invalid(`version ${JSON.stringify(version)} is not supported (only "v1")`);
  const host = toHostInfo(payload.host);
  switch (kind) {
    case 'startComponent':
    case 'startProvider':
      return { requestId, kind, version, request: toComponentInfo(payload.request, 'request'), host };
    case 'performInvocation': {
      const r = payload.request;
      if (!isRecord(r)) throw invalid('request is not an object');
      if (typeof r.interface !== 'string' || typeof r.function !== 'string') throw invalid('request.interface / request.function missing');
      return {
        requestId, kind, version, host,
        request: { interface: r.interface, function: r.function, target: toComponentInfo(r.target, 'request.target') },
      };
    }
    default:
      throw invalid(`kind ${JSON.stringify(kind)} is not one of startComponent, startProvider, performInvocation`);
  }
}

/** The key under which the host caches a decision, per host (each host caches its own answers). */
export function hostCacheKey(req: PolicyRequestV1): string {
  const parts: string[] = [req.host.publicKey, req.kind];
  if (req.kind === 'performInvocation') {
    const t = req.request.target;
    parts.push(t.componentId ?? t.providerId ?? '', t.imageRef, req.request.interface, req.request.function);
  } else {
    parts.push(req.request.componentId ?? req.request.providerId ?? '', req.request.imageRef);
  }
  return JSON.stringify(parts);
}
