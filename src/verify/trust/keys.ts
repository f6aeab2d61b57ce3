import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { VerifyError } from '../error.ts';
import { ROLES, type Role } from './config.ts';
import type { KeyAlgorithm, TrustedKey } from './policy.ts';

/** Parses one PEM public key (SPKI) and checks it is an algorithm cosign and Sigstore use. */
export function parsePublicKey(pem: string, where: string, id?: string, roles: readonly Role[] = ROLES): TrustedKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new VerifyError('TRUST_KEY_INVALID', `${where}: not a PEM public key (expected "-----BEGIN PUBLIC KEY-----", as written by cosign generate-key-pair)`, { cause: err });
  }
  const algorithm = keyAlgorithm(key, where);
  const spki = key.export({ format: 'der', type: 'spki' });
  const fingerprint = `sha256:${createHash('sha256').update(spki).digest('hex')}`;
  return { id: id ?? fingerprint, algorithm, publicKey: key, spki, fingerprint, roles };
}

function keyAlgorithm(key: KeyObject, where: string): KeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (details.namedCurve === 'prime256v1') return 'ecdsa-p256';
      if (details.namedCurve === 'secp384r1') return 'ecdsa-p384';
      break;
    case 'rsa':
      if ((details.modulusLength ?? 0) >= 2048) return 'rsa';
      throw new VerifyError('TRUST_KEY_INVALID', `${where}: RSA key of ${details.modulusLength ?? 0} bits is too short; use 2048 bits or more`);
    case 'ed25519':
      return 'ed25519';
    default:
      break;
  }
  const curve = details.namedCurve ? ` (${details.namedCurve})` : '';
  throw new VerifyError('TRUST_KEY_INVALID', `${where}: unsupported key type ${key.asymmetricKeyType ?? 'unknown'}${curve}; use ECDSA P-256/P-384, RSA or Ed25519`);
}
