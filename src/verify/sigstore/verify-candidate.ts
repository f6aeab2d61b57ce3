import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { toSignedEntity, Verifier, VerificationError, type SignedEntity } from '@sigstore/verify';
import type { CertificateFacts } from '../../contract/input-v1.ts';
import { evidenceError, type EvidenceErrorV1 } from '../error.ts';
import { certificateFacts } from '../certificate/facts.ts';
import { identityRoles, matchIdentity } from '../identity/match.ts';
import { checkTlogSigner, tlogSignerMaterial } from '../binding/tlog-key.ts';
import type { Candidate } from '../formats/candidate.ts';
import type { Role } from '../trust/config.ts';
import type { TrustPolicy } from '../trust/policy.ts';
import { mapSigstoreError } from './error-map.ts';
import { baseTrustMaterial, withPublicKey } from './trust-material.ts';
import { withKeyAwareSignature } from './signature-hash.ts';

export interface SignatureCheck {
  /** true when the signature, its proofs and the signer identity/key all check out */
  ok: boolean;
  errors: EvidenceErrorV1[];
  certificate: CertificateFacts | null;
  key: { id: string } | null;
  tlog: { log_index: number; integrated_time: string } | null;
  /** what the trust entries that verified the signer let it vouch for (empty unless ok) */
  roles: Role[];
  /** the parsed bundle, when it parsed (the payload is read from it after verification) */
  bundle?: Bundle;
  /** true when the outcome depends on the clock (a certificate with no proven signing time): not to be cached */
  timeDependent?: boolean;
}

export interface CheckOptions {
  /** the clock for the certificate-expiry pre-check; default now */
  now?: Date;
}

/**
 * Verifies one candidate's signature with sigstore-js against the trust policy,
 * then applies what sigstore-js leaves to the caller: the tlog body must name the
 * bundle's signer, and a certificate must match a configured identity. Never throws.
 */
export function checkSignature(candidate: Candidate, policy: TrustPolicy, opts: CheckOptions = {}): SignatureCheck {
  const out: SignatureCheck = { ok: false, errors: [], certificate: null, key: null, tlog: null, roles: [] };
  let entity: SignedEntity;
  try {
    out.bundle = bundleFromJSON(candidate.bundle);
    entity = withKeyAwareSignature(toSignedEntity(out.bundle, candidate.artifact), out.bundle, candidate.artifact);
  } catch (err) {
    out.errors.push(mapSigstoreError(err));
    return out;
  }
  out.tlog = firstTlog(out.bundle);
  const base = baseTrustMaterial(policy);

  switch (entity.key.$case) {
    case 'certificate': {
      const leaf = entity.key.certificate;
      out.certificate = certificateFacts(leaf);
      const now = opts.now ?? new Date();
      if (entity.timestamps.length === 0) out.timeDependent = true;
      // Checks that a short-lived certificate has a proven signing time before trusting it.
      if (entity.timestamps.length === 0 && leaf.notAfter < now) {
        out.errors.push(evidenceError('certificate_expired', `the signing certificate expired at ${leaf.notAfter.toISOString()} and the evidence carries no transparency-log entry or RFC 3161 timestamp proving it signed while valid; re-sign with a tlog upload or a timestamp authority`));
        return out;
      }
      try {
        new Verifier(base, { tlogThreshold: policy.thresholds.tlog, ctlogThreshold: policy.thresholds.ctlog, timestampThreshold: policy.thresholds.timestamps }).verify(entity);
      } catch (err) {
        out.errors.push(signatureFirst(err, entity, leaf));
        return out;
      }
      const spki = new NodeX509(leaf.root.toDER()).publicKey.export({ format: 'der', type: 'spki' });
      const tlogProblem = checkTlogSigner(entity.tlogEntries, { certificateDer: leaf.root.toDER(), spki });
      if (tlogProblem) {
        out.errors.push(evidenceError('tlog_key_mismatch', tlogProblem));
        return out;
      }
      const idErr = matchIdentity(out.certificate, policy.identities);
      if (idErr) {
        out.errors.push(idErr);
        return out;
      }
      out.roles = identityRoles(out.certificate, policy.identities);
      out.ok = true;
      return out;
    }
    case 'public-key': {
      if (policy.keys.length === 0) {
        out.errors.push(evidenceError('key_not_trusted', `signed with a public key${signerKey(entity)}, but no keys are configured; add the signer's public key under trust.keys if it is legitimate`));
        return out;
      }
      let firstOther: EvidenceErrorV1 | undefined;
      for (const key of policy.keys) {
        try {
          new Verifier(withPublicKey(base, key.publicKey), { tlogThreshold: policy.keyThresholds.tlog, ctlogThreshold: 0, timestampThreshold: policy.keyThresholds.timestamps }).verify(entity);
        } catch (err) {
          if (!(err instanceof VerificationError && err.code === 'SIGNATURE_ERROR') && entity.signature.verifySignature(key.publicKey)) {
            firstOther ??= mapSigstoreError(err);
          }
          continue;
        }
        const tlogProblem = checkTlogSigner(entity.tlogEntries, { spki: key.spki });
        if (tlogProblem) {
          firstOther ??= evidenceError('tlog_key_mismatch', tlogProblem);
          continue;
        }
        out.key = { id: key.id };
        out.roles = [...key.roles];
        out.ok = true;
        return out;
      }
      const ed25519 = policy.keys.some((k) => k.algorithm === 'ed25519')
        ? '; note: Ed25519 keys verify pure Ed25519 signatures only, and cosign v3 signs with Ed25519ph (pre-hashed), which wasmgate cannot verify: sign with an ECDSA or RSA key instead'
        : '';
      out.errors.push(firstOther ?? evidenceError('key_not_trusted', `the signature${signerKey(entity)} verifies with none of the configured keys (${policy.keys.map((k) => k.id).join(', ')}): it was made by another key, or the signed content was altered${ed25519}`));
      return out;
    }
  }
}

/** When sigstore-js fails earlier in its pipeline (tlog body, timestamps), a bad signature is still the root cause to report. */
function signatureFirst(err: unknown, entity: SignedEntity, leaf: X509Certificate): EvidenceErrorV1 {
  const mapped = mapSigstoreError(err);
  if (mapped.code === 'signature_invalid' || mapped.code === 'malformed_evidence') return mapped;
  let sigOk = true;
  try {
    sigOk = entity.signature.verifySignature(new NodeX509(leaf.root.toDER()).publicKey);
  } catch {
    sigOk = false;
  }
  return sigOk ? mapped : evidenceError('signature_invalid', `the signature does not verify with the bundle's certificate: the signed content was altered (${mapped.message})`);
}

/**
 * What the evidence says about its (untrusted) signing key, for the operator:
 * the SPKI fingerprint a tlog entry recorded (`sha256:<hex>`, the id wasmgate
 * gives a key configured without one), else the bundle's key hint; '' if neither.
 */
function signerKey(entity: SignedEntity): string {
  for (const entry of entity.tlogEntries) {
    const spki = tlogSignerMaterial(entry)?.find((m) => m.$case === 'public-key');
    if (spki?.$case === 'public-key') return ` (by key sha256:${createHash('sha256').update(spki.spki).digest('hex')}, as recorded in tlog entry ${entry.logIndex})`;
  }
  return entity.key.$case === 'public-key' && entity.key.hint !== '' ? ` (by the key with hint ${JSON.stringify(entity.key.hint)})` : '';
}

function firstTlog(bundle: Bundle): SignatureCheck['tlog'] {
  const e = bundle.verificationMaterial.tlogEntries[0];
  if (!e) return null;
  const t = Number(e.integratedTime);
  return { log_index: Number(e.logIndex), integrated_time: t > 0 ? new Date(t * 1000).toISOString() : '' };
}
