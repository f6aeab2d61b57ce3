import type { WasmgateConfig } from './types.ts';

/**
 * The active config as `GET /v1/config` shows it: service credentials and
 * headers, key material and private keys removed (OPA omits the same).
 */
export function toPublicConfig(config: WasmgateConfig): Record<string, unknown> {
  const c = structuredClone(config) as unknown as Record<string, unknown>;
  const services = c.services as Record<string, Record<string, unknown>>;
  for (const s of Object.values(services)) {
    delete s.credentials;
    if (s.headers) s.headers = Object.fromEntries(Object.keys(s.headers as object).map((k) => [k, '[redacted]']));
  }
  const keys = c.keys as Record<string, Record<string, unknown>>;
  for (const k of Object.values(keys)) {
    delete k.key;
    delete k.private_key;
  }
  const cache = c.cache as { shared?: Record<string, unknown> | null } | undefined;
  if (cache?.shared) {
    if (cache.shared.password !== undefined) cache.shared.password = '[redacted]';
    cache.shared.url = redactUrl(String(cache.shared.url));
  }
  return c;
}

/** `redis://user:secret@host` → `redis://user:***@host`: logs and /v1/config never show the password */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[redacted]';
  }
}
