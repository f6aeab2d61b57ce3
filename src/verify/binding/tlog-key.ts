import { createPublicKey, X509Certificate } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import { isRecord as isObject } from '../../common/is-record.ts';

/** The signer material a Rekor entry body records: a certificate or a public key (DER). */
type Material = { $case: 'certificate'; der: Buffer } | { $case: 'public-key'; spki: Buffer };

const get = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), v);

/** A base64 PEM (Rekor v1 bodies): certificate or public key. */
function fromB64Pem(v: unknown): Material | undefined {
  if (typeof v !== 'string') return undefined;
  const pem = Buffer.from(v, 'base64').toString('utf8');
  try {
    if (pem.includes('CERTIFICATE')) return { $case: 'certificate', der: Buffer.from(new X509Certificate(pem).raw) };
    return { $case: 'public-key', spki: createPublicKey(pem).export({ format: 'der', type: 'spki' }) };
  } catch {
    return undefined;
  }
}

/** A Rekor v2 verifier: `{x509Certificate:{rawBytes}}` or `{publicKey:{rawBytes}}` (base64 DER). */
function fromV2Verifier(v: unknown): Material | undefined {
  const cert = get(v, 'x509Certificate', 'rawBytes');
  if (typeof cert === 'string') return { $case: 'certificate', der: Buffer.from(cert, 'base64') };
  const key = get(v, 'publicKey', 'rawBytes');
  if (typeof key === 'string') return { $case: 'public-key', spki: Buffer.from(key, 'base64') };
  return undefined;
}

/** Extracts what the body says signed; undefined for kinds we do not know (sigstore-js rejects those itself). */
export function tlogSignerMaterial(entry: TransparencyLogEntry): Material[] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(entry.canonicalizedBody).toString('utf8'));
  } catch {
    return [];
  }
  const kind = get(body, 'kind');
  const version = get(body, 'apiVersion');
  const spec = get(body, 'spec');
  const list = (xs: unknown, f: (x: unknown) => Material | undefined): Material[] =>
    (Array.isArray(xs) ? xs : []).map(f).filter((m): m is Material => m !== undefined);
  switch (`${String(kind)}/${String(version)}`) {
    case 'hashedrekord/0.0.1':
      return list([get(spec, 'signature', 'publicKey', 'content')], fromB64Pem);
    case 'hashedrekord/0.0.2':
      return list([get(spec, 'hashedRekordV002', 'signature', 'verifier')], fromV2Verifier);
    case 'dsse/0.0.1':
      return list(get(spec, 'signatures'), (s) => fromB64Pem(get(s, 'verifier')));
    case 'dsse/0.0.2':
      return list(get(spec, 'dsseV002', 'signatures'), (s) => fromV2Verifier(get(s, 'verifier')));
    case 'intoto/0.0.2':
      return list(get(spec, 'content', 'envelope', 'signatures'), (s) => fromB64Pem(get(s, 'publicKey')));
    default:
      return undefined;
  }
}

/**
 * Checks that every tlog entry records the same signer as the bundle: the same
 * certificate (or its key), or the trusted public key. sigstore-js does not
 * compare these (cosign GHSA-whqx-f9j3-ch6m). Returns a problem, or undefined.
 */
export function checkTlogSigner(entries: readonly TransparencyLogEntry[], signer: { certificateDer?: Buffer; spki: Buffer }): string | undefined {
  for (const entry of entries) {
    const materials = tlogSignerMaterial(entry);
    if (materials === undefined) continue;
    if (materials.length === 0) return `tlog entry ${entry.logIndex} records no signer certificate or key`;
    const ok = materials.every((m) =>
      m.$case === 'certificate'
        ? (signer.certificateDer !== undefined && m.der.equals(signer.certificateDer)) || spkiOfCert(m.der)?.equals(signer.spki) === true
        : m.spki.equals(signer.spki));
    if (!ok) return `tlog entry ${entry.logIndex} was made by a different certificate or key than the one in the bundle`;
  }
  return undefined;
}

function spkiOfCert(der: Buffer): Buffer | undefined {
  try {
    return new X509Certificate(der).publicKey.export({ format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}
