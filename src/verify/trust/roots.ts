import { readFileSync } from 'node:fs';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { VerifyError } from '../error.ts';

import publicGood from '../roots/public-good.trusted_root.json' with { type: 'json' };
import { isRecord as isObject } from '../../common/is-record.ts';

/** The Sigstore public-good trusted root shipped with wasmgate (no network needed). */
export function loadPublicGoodRoot(): TrustedRoot {
  return toTrustedRoot(publicGood, 'public-good');
}

export function loadTrustedRootFile(path: string): TrustedRoot {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new VerifyError('TRUSTED_ROOT_INVALID', `trusted root ${path}: cannot be read; check the path in trust.trusted_roots`, { cause: err });
  }
  return parseTrustedRoot(text, path);
}

/**
 * Parses a `trusted_root.json` (protobuf-specs JSON) and validates it ourselves:
 * sigstore-js treats a missing `validFor.start` as the beginning of time, which
 * would let a key sign for all of history. Every authority must say when it starts.
 */
export function parseTrustedRoot(text: string, name: string): TrustedRoot {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new VerifyError('TRUSTED_ROOT_INVALID', `trusted root ${name}: not JSON`, { cause: err });
  }
  return toTrustedRoot(json, name);
}

/** Validates an already-parsed trusted root document (see parseTrustedRoot). */
export function toTrustedRoot(json: unknown, name: string): TrustedRoot {
  const problems = validateTrustedRootJson(json);
  if (problems.length > 0) {
    throw new VerifyError('TRUSTED_ROOT_INVALID', `trusted root ${name} is invalid: ${problems.join('; ')}`, { details: { problems } });
  }
  try {
    return TrustedRoot.fromJSON(json);
  } catch (err) {
    throw new VerifyError('TRUSTED_ROOT_INVALID', `trusted root ${name}: not a Sigstore trusted root`, { cause: err });
  }
}

function checkValidity(path: string, validFor: unknown, out: string[]): void {
  if (!isObject(validFor) || typeof validFor.start !== 'string' || Number.isNaN(Date.parse(validFor.start))) {
    out.push(`${path}.validFor.start is missing or not a timestamp`);
    return;
  }
  if (validFor.end !== undefined && validFor.end !== null) {
    if (typeof validFor.end !== 'string' || Number.isNaN(Date.parse(validFor.end))) {
      out.push(`${path}.validFor.end is not a timestamp`);
    } else if (Date.parse(validFor.end) < Date.parse(validFor.start)) {
      out.push(`${path}.validFor ends before it starts`);
    }
  }
}

/** Returns every problem found (empty when the root is usable). */
export function validateTrustedRootJson(json: unknown): string[] {
  const out: string[] = [];
  if (!isObject(json)) return ['the document is not a JSON object'];
  if (typeof json.mediaType !== 'string' || !json.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    out.push('mediaType must be application/vnd.dev.sigstore.trustedroot+json;version=0.1 (or v0.2)');
  }
  for (const kind of ['tlogs', 'ctlogs'] as const) {
    const list = json[kind] ?? [];
    if (!Array.isArray(list)) { out.push(`${kind} must be an array`); continue; }
    list.forEach((log: unknown, i) => {
      const p = `${kind}[${i}]`;
      if (!isObject(log)) { out.push(`${p} is not an object`); return; }
      const pk = log.publicKey;
      if (!isObject(pk) || typeof pk.rawBytes !== 'string' || pk.rawBytes === '') out.push(`${p}.publicKey.rawBytes is missing`);
      else checkValidity(`${p}.publicKey`, pk.validFor, out);
      if (!isObject(log.logId) || typeof log.logId.keyId !== 'string') out.push(`${p}.logId.keyId is missing`);
    });
  }
  for (const kind of ['certificateAuthorities', 'timestampAuthorities'] as const) {
    const list = json[kind] ?? [];
    if (!Array.isArray(list)) { out.push(`${kind} must be an array`); continue; }
    list.forEach((ca: unknown, i) => {
      const p = `${kind}[${i}]`;
      if (!isObject(ca)) { out.push(`${p} is not an object`); return; }
      const chain = ca.certChain;
      if (!isObject(chain) || !Array.isArray(chain.certificates) || chain.certificates.length === 0) out.push(`${p}.certChain.certificates is empty`);
      checkValidity(p, ca.validFor, out);
    });
  }
  return out;
}

/** Merges several roots into one: sigstore-js then picks the authority by log id / chain. */
export function mergeTrustedRoots(roots: TrustedRoot[]): TrustedRoot {
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: roots.flatMap((r) => r.tlogs),
    ctlogs: roots.flatMap((r) => r.ctlogs),
    certificateAuthorities: roots.flatMap((r) => r.certificateAuthorities),
    timestampAuthorities: roots.flatMap((r) => r.timestampAuthorities),
  };
}
