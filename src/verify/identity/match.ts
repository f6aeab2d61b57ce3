import type { CertificateFacts } from '../../contract/input-v1.ts';
import { evidenceError, type EvidenceErrorV1 } from '../error.ts';
import { describeMatcher, matches } from '../trust/matcher.ts';
import { ROLES, type Role } from '../trust/config.ts';
import type { KeylessIdentity } from '../trust/policy.ts';

function fullyMatches(id: KeylessIdentity, facts: CertificateFacts): boolean {
  return matches(id.subject, facts.subject) && matches(id.issuer, facts.issuer)
    && id.extensions.every((e) => matches(e.matcher, facts.extensions[e.name]));
}

/**
 * The roles a verified certificate holds: the union of the roles of every
 * configured identity it matches (an identity may be listed more than once,
 * e.g. a repository-wide pattern for signatures and one workflow for SBOMs).
 */
export function identityRoles(facts: CertificateFacts, identities: readonly KeylessIdentity[]): Role[] {
  const held = new Set<Role>();
  for (const id of identities) if (fullyMatches(id, facts)) id.roles.forEach((r) => held.add(r));
  return ROLES.filter((r) => held.has(r));
}

/**
 * Matches a verified certificate against the configured keyless identities.
 * Returns undefined when one identity matches on subject, issuer and every
 * extension constraint; otherwise the closest failure, so the operator sees
 * whether the subject, the issuer or an extension was wrong.
 */
export function matchIdentity(facts: CertificateFacts, identities: readonly KeylessIdentity[]): EvidenceErrorV1 | undefined {
  if (identities.length === 0) {
    return evidenceError('identity_mismatch', `certificate for ${JSON.stringify(facts.subject)} (issuer ${JSON.stringify(facts.issuer)}) but no keyless identity is configured; add one under trust.keyless`);
  }
  let issuerMiss: KeylessIdentity | undefined;
  let extMiss: { id: KeylessIdentity; name: string } | undefined;
  for (const id of identities) {
    if (!matches(id.subject, facts.subject)) continue;
    if (!matches(id.issuer, facts.issuer)) { issuerMiss ??= id; continue; }
    const bad = id.extensions.find((e) => !matches(e.matcher, facts.extensions[e.name]));
    if (bad) { extMiss ??= { id, name: bad.name }; continue; }
    return undefined;
  }
  if (extMiss) {
    const want = extMiss.id.extensions.find((e) => e.name === extMiss.name);
    return evidenceError('extension_mismatch', `certificate extension ${extMiss.name} is ${JSON.stringify(facts.extensions[extMiss.name] ?? null)}, but the identity ${extMiss.id.label} requires ${want ? describeMatcher(want.matcher) : 'a value'}`);
  }
  if (issuerMiss) {
    return evidenceError('issuer_mismatch', `certificate subject ${JSON.stringify(facts.subject)} matches, but its OIDC issuer ${JSON.stringify(facts.issuer)} is not ${describeMatcher(issuerMiss.issuer)}; a signature from another issuer is not the configured signer`);
  }
  return evidenceError('identity_mismatch', `certificate subject ${JSON.stringify(facts.subject)} (issuer ${JSON.stringify(facts.issuer)}) matches no configured identity (${identities.map((i) => describeMatcher(i.subject)).join(', ')}); add it under trust.keyless if it is a legitimate signer`);
}
