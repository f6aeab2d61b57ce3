import type { Evidence, InputV1, VulnerabilityMatch } from '../contract/input-v1.ts';

/**
 * The causes behind a deny reason, read from the input document the policy
 * decided on: the policy's reasons are fixed sentences, the evidence says which
 * advisory, which piece of evidence and which signer. Used by `wasmgate check`
 * (and anything else that prints a decision for a person); never by the policy.
 */
export function denyCauses(reason: string, input: InputV1 | null): string[] {
  if (input === null) return [];
  if (/critical vulnerabilit/i.test(reason)) {
    return input.vulnerability_scan.matches.filter((m) => m.vulnerability.severity === 'Critical').map(describeMatch);
  }
  if (/SBOM attestation/i.test(reason)) return evidenceCauses(input.sbom_attestations, 'sbom', 'SBOM attestation', (e) => isCycloneDx(e) ? undefined : 'its predicate is not a CycloneDX document');
  if (/provenance attestation/i.test(reason)) return evidenceCauses(input.provenance_attestations, 'provenance', 'provenance attestation');
  return [];
}

/** `RUSTSEC-2021-0003 (Critical, CVE-…) smallvec@1.6.0 (pkg:cargo/…): fixed in 1.6.1` */
export function describeMatch(m: VulnerabilityMatch): string {
  const v = m.vulnerability;
  const aliases = v.aliases.length > 0 ? `, ${v.aliases.join(', ')}` : '';
  const fixed = v.fixed_in.length > 0 ? `fixed in ${v.fixed_in.join(', ')}` : 'no fixed version';
  return `${v.id} (${v.severity}${aliases}) ${m.artifact.name}@${m.artifact.version}: ${fixed}${v.summary ? ` — ${v.summary}` : ''}`;
}

/** Who signed a piece of evidence: the certificate identity, the trusted key, or what the errors say. */
export function describeSigner(e: Evidence): string {
  if (e.certificate) return `signer ${e.certificate.subject} (issuer ${e.certificate.issuer})`;
  if (e.key) return `key ${e.key.id}`;
  return 'signer not established';
}

function isCycloneDx(e: Evidence): boolean {
  return typeof e.predicate === 'object' && e.predicate !== null && (e.predicate as { bomFormat?: unknown }).bomFormat === 'CycloneDX';
}

/** One line per piece of evidence of this kind, saying why it does not count for `role`. */
function evidenceCauses(list: readonly Evidence[], role: string, what: string, extra?: (e: Evidence) => string | undefined): string[] {
  if (list.length === 0) return [`no ${what} is attached to this module`];
  const out: string[] = [];
  for (const e of list) {
    const where = `${what} in ${e.manifest_digest}`;
    if (!e.verified) {
      const errors = e.errors.length > 0 ? e.errors.map((x) => `${x.code}: ${x.message}`).join('; ') : 'not verified';
      out.push(`${where}, ${describeSigner(e)}: rejected, ${errors}`);
      continue;
    }
    const roles = e.verified_for ?? [];
    if (!roles.includes(role)) {
      out.push(`${where}, ${describeSigner(e)}: verified, but the trust configuration gives this signer ${roles.length > 0 ? `the roles ${roles.join(', ')}` : 'no role'}, not ${role} (add ${role} to its roles: in trust.keyless[] / trust.keys[] if it may sign ${what}s)`);
      continue;
    }
    const problem = extra?.(e);
    if (problem !== undefined) out.push(`${where}, ${describeSigner(e)}: verified for ${role}, but ${problem}`);
  }
  return out;
}
