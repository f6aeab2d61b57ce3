import { createHash } from 'node:crypto';
import { DIGEST_RE } from '../resolve/grammar.ts';
import { RegistryError } from './error.ts';

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Throws DIGEST_MISMATCH unless `bytes` hash to `expected`; only sha256 is accepted. */
export function verifyDigest(bytes: Uint8Array, expected: string, what: string): void {
  assertDigest(expected, what);
  const actual = sha256Digest(bytes);
  if (actual !== expected) {
    throw new RegistryError('DIGEST_MISMATCH', `${what}: content hashes to ${actual}, not the requested ${expected}; the source is corrupt or lying — nothing from it is used`, {
      details: { expected, actual },
    });
  }
}

export function assertDigest(digest: string, what: string): void {
  if (!DIGEST_RE.test(digest)) {
    throw new RegistryError('REGISTRY_PROTOCOL_ERROR', `${what}: ${JSON.stringify(digest)} is not a sha256 digest (sha256:<64 hex>)`);
  }
}
