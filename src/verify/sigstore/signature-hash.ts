import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';
import type { SignedEntity } from '@sigstore/verify';

/**
 * The hash a signer uses with this key, as cosign and sigstore-go pick it (PublicKeyDetails defaults):
 * SHA-384 for ECDSA P-384, SHA-512 for P-521, SHA-256 for P-256 and RSA; none for Ed25519 (pure).
 * sigstore-js always verifies with Node's default (SHA-256 for EC and RSA), so P-384 signatures from
 * `cosign sign --key` would fail without this.
 */
export function signatureHash(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448') return null;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return 'sha384';
    if (curve === 'secp521r1') return 'sha512';
  }
  return 'sha256';
}

/** The bytes the signature covers: DSSE's pre-authentication encoding, or the message (artifact). */
function signedBytes(bundle: Bundle, artifact: Buffer | undefined): Buffer | undefined {
  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    return dsse.preAuthEncoding(env.payloadType, env.payload);
  }
  return artifact;
}

/**
 * Returns the entity with a signature check that uses the key's hash (see `signatureHash`);
 * every other check (digest and signature comparisons against the tlog body) is sigstore-js's own.
 */
export function withKeyAwareSignature(entity: SignedEntity, bundle: Bundle, artifact: Buffer | undefined): SignedEntity {
  const data = signedBytes(bundle, artifact);
  if (!data) return entity;
  const original = entity.signature;
  return {
    ...entity,
    signature: {
      signature: original.signature,
      compareSignature: (s) => original.compareSignature(s),
      compareDigest: (d) => original.compareDigest(d),
      compareSignedDigest: (d) => original.compareSignedDigest(d),
      verifySignature: (key) => {
        try {
          return nodeVerify(signatureHash(key), data, key, original.signature);
        } catch {
          return false;
        }
      },
    },
  };
}
