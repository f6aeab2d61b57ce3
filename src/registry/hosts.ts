import { isIP } from 'node:net';
import { RegistryError } from './error.ts';

/** True for localhost, 127.0.0.0/8 and ::1 (with or without a port). */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostOnly(hostPort);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** `host` from `host:port`, `[v6]:port` or `[v6]`. */
export function hostOnly(hostPort: string): string {
  const lower = hostPort.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(1, lower.indexOf(']'));
  const colon = lower.lastIndexOf(':');
  return colon >= 0 && lower.indexOf(':') === colon ? lower.slice(0, colon) : lower;
}

/**
 * Matches a host against patterns: `host`, `host:port`, or `*.example.com` (any subdomain, any port).
 * A pattern without a port matches every port of that host.
 */
export function matchesHost(hostPort: string, patterns: readonly string[]): boolean {
  const hp = hostPort.toLowerCase();
  const h = hostOnly(hp);
  return patterns.some((raw) => {
    const p = raw.toLowerCase();
    if (p === '*') return true;
    if (p.startsWith('*.')) return h.endsWith(p.slice(1));
    const hasPort = /^\[.*\]:\d+$/.test(p) || /^[^:[]+:\d+$/.test(p);
    return hasPort ? p === hp : hostOnly(p) === h;
  });
}

export interface HostPolicy {
  /** hosts wasmgate may contact; undefined = any */
  allowedHosts?: readonly string[];
  /** hosts that may be contacted over plain HTTP (loopback always may) */
  insecureHosts?: readonly string[];
}

/** The scheme for a registry host: http for loopback or configured-insecure hosts, https otherwise. */
export function schemeFor(hostPort: string, policy: HostPolicy): 'http' | 'https' {
  return isLoopbackHost(hostPort) || matchesHost(hostPort, policy.insecureHosts ?? []) ? 'http' : 'https';
}

export function assertHostAllowed(hostPort: string, policy: HostPolicy): void {
  if (policy.allowedHosts !== undefined && !matchesHost(hostPort, policy.allowedHosts)) {
    throw new RegistryError('HOST_NOT_ALLOWED', `registry ${hostPort} is not in the allowed registry hosts; add it to the allow-list to fetch from it`, {
      details: { host: hostPort },
    });
  }
}

/** A URL wasmgate is about to follow (token realm, redirect): https, or http only to loopback/insecure hosts. */
export function assertUrlAllowed(url: URL, policy: HostPolicy, what: string): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (isLoopbackHost(url.host) || matchesHost(url.host, policy.insecureHosts ?? []))) return;
  throw new RegistryError('HOST_NOT_ALLOWED', `${what} points to ${url.protocol}//${url.host}, which is neither https nor a loopback/insecure-marked host; refusing to send anything there`, {
    details: { host: url.host },
  });
}

/**
 * A token realm wasmgate may ask (and send the registry's credentials to): on the registry's own host (any
 * port), or on a host listed in `realmHosts` (`registries.token_realms`); https, or http to loopback/insecure
 * hosts. Anything else is refused with REGISTRY_REALM_REFUSED (a deny, not the caller's mistake).
 */
export function assertRealmAllowed(url: URL, registryHost: string, realmHosts: readonly string[], policy: HostPolicy): void {
  const schemeOk = url.protocol === 'https:' || (url.protocol === 'http:' && (isLoopbackHost(url.host) || matchesHost(url.host, policy.insecureHosts ?? [])));
  const hostOk = hostOnly(url.host) === hostOnly(registryHost) || matchesHost(url.host, realmHosts);
  if (schemeOk && hostOk) return;
  throw new RegistryError(
    'REGISTRY_REALM_REFUSED',
    `registry ${registryHost} names the token service ${describeUrl(url)}, ${hostOk ? 'which is neither https nor a loopback/insecure-marked host' : "which is not on the registry's host nor in registries.token_realms"}; no credentials were sent (add the host to registries.token_realms if it is the registry's own token service)`,
    { details: { host: registryHost, realm: url.host } },
  );
}

/**
 * A redirect wasmgate may follow: to the registry's own origin (scheme, host and port), or to a host listed in
 * `redirectHosts` (`registries.redirect_hosts`, e.g. the registry's blob storage) over https (http only to
 * loopback/insecure hosts). Any other target or scheme (`file:`, `ftp:`, …) is refused with
 * REGISTRY_REDIRECT_REFUSED (a deny, not the caller's mistake).
 */
export function assertRedirectAllowed(next: URL, origin: URL, redirectHosts: readonly string[], policy: HostPolicy): void {
  if (next.origin === origin.origin && (next.protocol === 'https:' || next.protocol === 'http:')) return;
  const schemeOk = next.protocol === 'https:' || (next.protocol === 'http:' && (isLoopbackHost(next.host) || matchesHost(next.host, policy.insecureHosts ?? [])));
  const hostOk = (next.protocol === 'https:' || next.protocol === 'http:') && matchesHost(next.host, redirectHosts);
  if (schemeOk && hostOk) return;
  throw new RegistryError(
    'REGISTRY_REDIRECT_REFUSED',
    `registry ${origin.host} redirected to ${describeUrl(next)}, which is ${hostOk ? 'neither https nor a loopback/insecure-marked host' : "not the registry's origin nor in registries.redirect_hosts"}; not followed (add the host to registries.redirect_hosts if it is the registry's blob storage)`,
    { details: { host: origin.host, target: next.host } },
  );
}

/** `scheme://host` of a URL, without path, query or credentials (they may carry secrets or local paths). */
function describeUrl(url: URL): string {
  return url.host === '' ? `a ${url.protocol} URL` : `${url.protocol}//${url.host}`;
}
