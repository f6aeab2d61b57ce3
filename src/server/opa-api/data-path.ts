import { ConfigError } from '../../config/error.ts';
import { ApiError } from './errors.ts';

/**
 * The one canonical spelling of a data path: segments joined by `/`, no empty,
 * `.` or `..` segment, percent-decoded. Every consumer (decision-path table,
 * engine, decision cache key, decision log) gets this string and nothing else.
 */
export type CanonicalPath = string & { readonly __canonical: unique symbol };

/** What the request's path asks for: a canonical data path, or a redirect to the clean spelling (as OPA's router). */
export type PathResolution = { kind: 'path'; path: CanonicalPath } | { kind: 'redirect'; status: 301 | 307; rest: string };

/**
 * Resolves the raw (still percent-encoded) rest of a URL after `/v1/data` or
 * `/v0/data`. Like OPA 1.22: a raw `//`, `/./` or `/../` answers 307 to the
 * cleaned path and a trailing slash 301 (the client then asks the clean path
 * and is answered there); a segment that only decodes to an empty, `.` or `..`
 * segment or contains an encoded `/` cannot be spelled for the engine and is a
 * 400 (OPA would look up a key containing `/` — no policy can define one).
 */
export function resolveDataPath(raw: string): PathResolution {
  if (raw === '' || raw === '/') return raw === '' ? { kind: 'path', path: '' as CanonicalPath } : { kind: 'redirect', status: 301, rest: '' };
  const body = raw.startsWith('/') ? raw.slice(1) : raw;
  const segs = body.split('/');
  const clean: string[] = [];
  let dirty = false;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (s === '' || s === '.') {
      if (!(s === '' && i === segs.length - 1)) dirty = true;
      continue;
    }
    if (s === '..') {
      dirty = true;
      clean.pop();
      continue;
    }
    clean.push(s);
  }
  const trailing = body.endsWith('/');
  if (dirty) return { kind: 'redirect', status: 307, rest: clean.join('/') };
  if (trailing) return { kind: 'redirect', status: 301, rest: clean.join('/') };
  return { kind: 'path', path: decodeSegments(clean) };
}

function decodeSegments(segs: readonly string[]): CanonicalPath {
  const out: string[] = [];
  for (const s of segs) {
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      throw new ApiError(400, 'invalid_parameter', `the path segment ${JSON.stringify(s)} is not valid percent-encoding: encode it with %XX escapes`);
    }
    if (d === '' || d === '.' || d === '..' || d.includes('/')) {
      throw new ApiError(400, 'invalid_parameter', `the path segment ${JSON.stringify(s)} decodes to ${JSON.stringify(d)}: a data path segment may not be empty, "." or ".." or contain "/"; spell the path with plain slashes`);
    }
    out.push(d);
  }
  return out.join('/') as CanonicalPath;
}

/**
 * The canonical form of a configured path (decision.paths, default_decision,
 * integration paths): plain slashes, no empty/`.`/`..` segment. Throws on a
 * spelling that has no canonical form.
 */
export function canonicalConfiguredPath(p: string): CanonicalPath {
  const segs = p.split('/').filter((s) => s !== '');
  for (const s of segs) {
    if (s === '.' || s === '..') throw new ConfigError('CONFIG_INVALID', `the configured policy path ${JSON.stringify(p)} has a "${s}" segment: write it without dot segments`);
  }
  return segs.join('/') as CanonicalPath;
}
