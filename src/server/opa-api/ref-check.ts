import type { RegistriesConfig } from '../../config/types.ts';

export type RefProblem = { reason: 'invalid_ref' | 'host_not_allowed'; message: string };

/** A cheap syntax and allow-list check before any work: a caller's mistake is a 400, not a deny. */
export type RefCheck = (ref: string) => RefProblem | null;

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const KNOWN: Readonly<Record<string, RegExp>> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /[\s\u0000-\u001f\u007f]/;

export function createRefCheck(registries: Pick<RegistriesConfig, 'allow'>): RefCheck {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const h of registries.allow) {
    const host = h.toLowerCase();
    if (host === '*') any = true;
    else if (host.startsWith('*.')) suffixes.push(host.slice(1));
    else exact.add(host);
  }
  const allowed = (host: string): boolean => {
    if (any || exact.has(host)) return true;
    const bare = host.replace(/:\d+$/, '');
    if (exact.has(bare)) return true;
    return suffixes.some((s) => bare.endsWith(s));
  };
  return (ref) => {
    if (ref.length > 4096 || BAD_CHARS.test(ref)) return { reason: 'invalid_ref', message: 'input.module.ref is not a valid reference: it is too long or contains whitespace or control characters' };
    const at = ref.lastIndexOf('@');
    if (at !== -1) {
      const digest = ref.slice(at + 1);
      const alg = digest.slice(0, digest.indexOf(':'));
      const hex = digest.slice(digest.indexOf(':') + 1);
      const known = KNOWN[alg];
      if (!DIGEST.test(digest) || (known !== undefined && !known.test(hex)) || known === undefined) {
        return { reason: 'invalid_ref', message: `input.module.ref ${JSON.stringify(ref)} has a malformed digest ${JSON.stringify(digest)}: expected sha256: followed by 64 lowercase hex digits` };
      }
      if (at === 0) return { reason: 'invalid_ref', message: `input.module.ref ${JSON.stringify(ref)} names no repository before the digest` };
    }
    if (ref.startsWith('oci:')) {
      if (ref.length <= 4) return { reason: 'invalid_ref', message: 'input.module.ref "oci:" names no layout directory: use oci:<dir>:<tag> or oci:<dir>@sha256:…' };
      return null;
    }
    const name = at === -1 ? ref : ref.slice(0, at);
    const slash = name.indexOf('/');
    const first = slash === -1 ? '' : name.slice(0, slash);
    const host = first.includes('.') || first.includes(':') || first === 'localhost' ? first.toLowerCase() : 'docker.io';
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?$|^\[[0-9a-f:]+\](:\d+)?$/.test(host)) {
      return { reason: 'invalid_ref', message: `input.module.ref ${JSON.stringify(ref)} has an invalid registry host ${JSON.stringify(host)}` };
    }
    if (!allowed(host)) {
      return { reason: 'host_not_allowed', message: `registry host ${host} is not in registries.allow: add it to the config to allow modules from it` };
    }
    return null;
  };
}
