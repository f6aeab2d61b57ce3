/**
 * Gatekeeper's external data provider API (externaldata.gatekeeper.sh/v1beta1):
 * Gatekeeper POSTs a ProviderRequest with keys and expects a ProviderResponse
 * with one item per key; per-key failures go in the item's `error`, failures of
 * the whole request in `systemError`.
 */
export const EXTERNAL_DATA_API_VERSION = 'externaldata.gatekeeper.sh/v1beta1';

export interface ProviderRequestV1Beta1 {
  apiVersion: string;
  kind: 'ProviderRequest';
  request: { keys: string[] };
}

/** The value wasmgate gives each key: the decision, in the Data API's words. */
export interface KeyDecisionValue {
  allow: boolean;
  deny: string[];
  digest: string | null;
  decision_id: string;
}

export interface ProviderItem {
  key: string;
  value: KeyDecisionValue | null;
  error: string;
}

export interface ProviderResponseV1Beta1 {
  apiVersion: string;
  kind: 'ProviderResponse';
  response: { idempotent: boolean; items: ProviderItem[]; systemError: string };
}

export function providerResponse(items: ProviderItem[], systemError = ''): ProviderResponseV1Beta1 {
  return { apiVersion: EXTERNAL_DATA_API_VERSION, kind: 'ProviderResponse', response: { idempotent: true, items, systemError } };
}

/** Checks a request body; returns the keys or a systemError sentence. */
export function parseProviderRequest(body: unknown, maxKeys: number): { keys: string[] } | { error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'the body is not a JSON object (expected a ProviderRequest)' };
  const b = body as Record<string, unknown>;
  if (b.apiVersion !== EXTERNAL_DATA_API_VERSION) return { error: `apiVersion ${JSON.stringify(b.apiVersion)} is not supported (use ${EXTERNAL_DATA_API_VERSION})` };
  if (b.kind !== 'ProviderRequest') return { error: `kind ${JSON.stringify(b.kind)} is not ProviderRequest` };
  const req = b.request;
  if (typeof req !== 'object' || req === null) return { error: 'request.keys is missing' };
  const keys = (req as Record<string, unknown>).keys;
  if (!Array.isArray(keys) || !keys.every((k): k is string => typeof k === 'string')) return { error: 'request.keys must be an array of image references (strings)' };
  if (keys.length > maxKeys) return { error: `${keys.length} keys is more than the limit of ${maxKeys} per request (integrations.gatekeeper.max_keys)` };
  return { keys };
}
