import type { CollectedEvidence, ModuleTarget, RawEvidence } from '../oci/types.ts';
import type { Evidence } from '../contract/input-v1.ts';
import { messageOf } from '../common/error.ts';
import { evidenceError, type EvidenceErrorV1 } from './error.ts';
import { AdaptError, toCandidate, type Candidate } from './formats/index.ts';
import { parseSimpleSigning } from './binding/simple-signing.ts';
import { parseStatement, subjectMatches } from './binding/statement.ts';
import { routePredicate, type Route } from './predicate/route.ts';
import { checkSignature, type SignatureCheck } from './sigstore/verify-candidate.ts';
import type { TrustPolicy } from './trust/policy.ts';

/** Verified (and unverified) evidence, grouped as the policy input expects it. */
export interface VerifiedEvidence {
  signatures: Evidence[];
  sbom_attestations: Evidence[];
  provenance_attestations: Evidence[];
  other_attestations: Evidence[];
}

export interface VerifyOptions {
  /** the clock (certificate-expiry pre-check); default: now */
  now?: Date;
}

/**
 * Verifies every collected signature and attestation against the trust policy
 * and binds it to the module. Pure of network (trust material is local), never
 * throws for bad evidence: each failure stays in the output with its errors.
 * An evidence is `verified` only when its errors are empty.
 */
export async function verifyEvidence(collected: CollectedEvidence, trust: TrustPolicy, opts: VerifyOptions = {}): Promise<VerifiedEvidence> {
  const out: VerifiedEvidence = { signatures: [], sbom_attestations: [], provenance_attestations: [], other_attestations: [] };
  for (const raw of collected.evidence) {
    const { route, evidence } = verifyOne(raw, collected.module, trust, opts);
    out[route].push(evidence);
  }
  return out;
}

/** Verifies one piece of evidence; exported for the CLI and tests. `timeDependent`: the outcome depends on the clock. */
export function verifyOne(raw: RawEvidence, module: ModuleTarget, trust: TrustPolicy, opts: VerifyOptions = {}): { route: Route; evidence: Evidence; timeDependent?: boolean } {
  const evidence: Evidence = {
    verified: false,
    errors: [],
    format: raw.kind === 'sigstore-bundle' ? 'sigstore-bundle' : 'cosign-legacy',
    manifest_digest: raw.manifestDigest,
    found_via: raw.discoveredVia,
    subject_matches: false,
    certificate: null,
    key: null,
    tlog: null,
    verified_for: [],
  };
  let candidate: Candidate;
  try {
    candidate = toCandidate(raw);
  } catch (err) {
    const why = err instanceof AdaptError ? err.message : messageOf(err);
    evidence.errors.push(evidenceError('malformed_evidence', `${raw.kind} in manifest ${raw.manifestDigest} cannot be read: ${why}`));
    return { route: raw.kind === 'cosign-legacy-signature' ? 'signatures' : 'other_attestations', evidence };
  }

  const check: SignatureCheck = checkSignature(candidate, trust, opts);
  evidence.certificate = check.certificate;
  evidence.key = check.key;
  evidence.tlog = check.tlog;
  const errors: EvidenceErrorV1[] = [...check.errors];

  // Binds the signed content to this module and routes it by predicate type.
  const binding = bindContent(candidate, check, module);
  errors.push(...binding.errors);
  evidence.subject_matches = binding.subjectMatches;
  if (binding.predicateType !== undefined) evidence.predicate_type = binding.predicateType;
  // A statement whose type could not be read is never filed as a signature.
  const { route, known } = binding.predicateType === undefined && candidate.content === 'dsse'
    ? { route: 'other_attestations' as const, known: true }
    : routePredicate(binding.predicateType);
  if (!known && binding.predicateType !== undefined) {
    errors.push(evidenceError('unknown_predicate_type', `predicate type ${JSON.stringify(binding.predicateType)} is not a known SBOM, provenance or attestation type; it is kept under other_attestations and not used as an SBOM or provenance`));
  }
  evidence.errors = errors;
  evidence.verified = check.ok && errors.length === 0;
  if (evidence.verified) evidence.verified_for = check.roles;
  // An unverified predicate never reaches the policy input: a policy that forgets `verified` still cannot use it.
  if (evidence.verified && binding.predicateType !== undefined) evidence.predicate = binding.predicate;
  return check.timeDependent ? { route, evidence, timeDependent: true } : { route, evidence };
}

interface Binding {
  subjectMatches: boolean;
  predicateType?: string;
  predicate?: unknown;
  errors: EvidenceErrorV1[];
}

function moduleDigests(module: ModuleTarget, includeLayer: boolean): string[] {
  const ds = [module.digest];
  if (module.indexDigest) ds.push(module.indexDigest);
  if (includeLayer && module.wasmLayer) ds.push(module.wasmLayer.digest);
  return ds;
}

function bindContent(candidate: Candidate, check: SignatureCheck, module: ModuleTarget): Binding {
  if (candidate.content === 'message-signature') {
    if (!candidate.artifact) {
      return { subjectMatches: false, errors: [evidenceError('subject_mismatch', 'a message-signature bundle in a referrer carries no signed payload, so it cannot be bound to this module; sign the image with cosign sign (statement) instead')] };
    }
    const ss = parseSimpleSigning(candidate.artifact);
    if (!ss.ok) return { subjectMatches: false, errors: [evidenceError('payload_invalid', ss.message)] };
    const ok = moduleDigests(module, false).includes(ss.value.dockerManifestDigest);
    return {
      subjectMatches: ok,
      errors: ok ? [] : [evidenceError('subject_mismatch', `the signature names image ${ss.value.dockerManifestDigest}, not this module ${module.digest}: it was made for another image`)],
    };
  }
  const content = check.bundle?.content;
  if (!content || content.$case !== 'dsseEnvelope') {
    return { subjectMatches: false, errors: check.bundle ? [evidenceError('payload_invalid', 'the bundle holds no DSSE envelope')] : [] };
  }
  const st = parseStatement(content.dsseEnvelope.payloadType, content.dsseEnvelope.payload);
  if (!st.ok) return { subjectMatches: false, errors: [evidenceError('payload_invalid', st.message)] };
  const ok = subjectMatches(st.value.subjectDigests, moduleDigests(module, true));
  const named = st.value.subjectDigests.length > 0 ? st.value.subjectDigests.join(', ') : 'no digest';
  return {
    subjectMatches: ok,
    predicateType: st.value.predicateType,
    predicate: st.value.predicate,
    errors: ok ? [] : [evidenceError('subject_mismatch', `the statement is about ${named}, not this module (manifest ${module.digest}${module.wasmLayer ? `, wasm layer ${module.wasmLayer.digest}` : ''}): it describes another artifact`)],
  };
}
