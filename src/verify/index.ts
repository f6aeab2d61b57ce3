export { verifyEvidence, verifyOne } from './verify-evidence.ts';
export { loadTrustPolicy } from './trust/load.ts';
export { parseTrustedRoot, validateTrustedRootJson, loadPublicGoodRoot } from './trust/roots.ts';
export { decodeFulcioExtensions, FULCIO_EXTENSION_NAMES } from './certificate/fulcio.ts';
export { routePredicate } from './predicate/route.ts';
export { checkSignature } from './sigstore/verify-candidate.ts';
export { toCandidate } from './formats/index.ts';
export { VerifyError, evidenceError } from './error.ts';
export { PUBLIC_GOOD, ROLES } from './trust/config.ts';

export type { VerifiedEvidence, VerifyOptions } from './verify-evidence.ts';
export type { LoadTrustOptions } from './trust/load.ts';
export type { TrustConfigV1, TrustKeyConfigV1, KeylessIdentityConfigV1, Role } from './trust/config.ts';
export type { TrustPolicy, TrustedKey, KeylessIdentity, Matcher, Thresholds } from './trust/policy.ts';
export type { EvidenceErrorCode, EvidenceErrorV1, VerifyErrorCode } from './error.ts';
export type { Route } from './predicate/route.ts';
export type { Candidate } from './formats/index.ts';
export type { SignatureCheck } from './sigstore/verify-candidate.ts';
