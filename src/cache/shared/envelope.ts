import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A value as it is stored in the shared cache: versioned, bound to what it depends on, and carrying the digest of
 * its own payload (an HMAC when the fleet shares an integrity key). Anything that does not parse or check is a miss.
 */
export interface Envelope {
  v: 1;
  /** what the value is: `decision`, … */
  kind: string;
  /** the full cache key (the Redis key is its hash) */
  key: string;
  /** what the value was computed under: trust hash, bundle revision and digest, DB version */
  bound: Record<string, string>;
  /** `sha256:<hex>` of `payload`, or `hmac-sha256:<hex>` with the integrity key */
  digest: string;
  /** the value's JSON */
  payload: string;
}

export type OpenResult<T> = { ok: true; value: T } | { ok: false; reason: string };

function seal(payload: string, integrityKey: Buffer | null): string {
  return integrityKey
    ? `hmac-sha256:${createHmac('sha256', integrityKey).update(payload).digest('hex')}`
    : `sha256:${createHash('sha256').update(payload).digest('hex')}`;
}

export function wrap(kind: string, key: string, bound: Record<string, string>, value: unknown, integrityKey: Buffer | null): string {
  const payload = JSON.stringify(value);
  const env: Envelope = { v: 1, kind, key, bound, digest: seal(payload, integrityKey), payload };
  return JSON.stringify(env);
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Opens a stored value; `check` validates the payload's shape (a guard), so a wrong value never leaves here typed. */
export function unwrap<T>(raw: string, kind: string, key: string, bound: Record<string, string>, integrityKey: Buffer | null, check: (v: unknown) => v is T): OpenResult<T> {
  let env: unknown;
  try {
    env = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof env !== 'object' || env === null) return { ok: false, reason: 'not an envelope' };
  const e = env as Partial<Envelope>;
  if (e.v !== 1) return { ok: false, reason: `unknown envelope version ${JSON.stringify(e.v)}` };
  if (e.kind !== kind || e.key !== key) return { ok: false, reason: 'another key or kind' };
  if (typeof e.payload !== 'string' || typeof e.digest !== 'string') return { ok: false, reason: 'no payload or digest' };
  const b = e.bound ?? {};
  for (const [k, v] of Object.entries(bound)) {
    if ((b as Record<string, unknown>)[k] !== v) return { ok: false, reason: `written under another ${k}` };
  }
  if (!sameText(e.digest, seal(e.payload, integrityKey))) return { ok: false, reason: 'payload digest does not match' };
  let value: unknown;
  try {
    value = JSON.parse(e.payload);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  return check(value) ? { ok: true, value } : { ok: false, reason: 'payload has the wrong shape' };
}
