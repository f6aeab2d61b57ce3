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
