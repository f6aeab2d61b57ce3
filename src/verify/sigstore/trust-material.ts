import type { KeyObject } from 'node:crypto';
import { toTrustMaterial, VerificationError, type TrustMaterial } from '@sigstore/verify';
import type { TrustPolicy } from '../trust/policy.ts';

const cache = new WeakMap<TrustPolicy, TrustMaterial>();

/** The policy's roots as sigstore-js trust material; built once per policy (certificate parsing is not free). */
export function baseTrustMaterial(policy: TrustPolicy): TrustMaterial {
  let tm = cache.get(policy);
  if (!tm) {
    tm = toTrustMaterial(policy.trustedRoot, () => {
      throw new VerificationError({ code: 'PUBLIC_KEY_ERROR', message: 'no public key is selected for keyless verification' });
    });
    cache.set(policy, tm);
  }
  return tm;
}

/** The same roots with exactly one public key in place of the key finder. */
export function withPublicKey(base: TrustMaterial, publicKey: KeyObject): TrustMaterial {
  return { ...base, publicKey: () => ({ publicKey, validFor: () => true }) };
}
