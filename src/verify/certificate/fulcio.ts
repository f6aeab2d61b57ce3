/**
 * Fulcio certificate extensions (OIDs 1.3.6.1.4.1.57264.1.*), decoded to named
 * fields for the policy input (`certificate.extensions`). Names follow Fulcio's
 * docs/oid-info.md in snake_case. v1 OIDs (.1–.6) hold raw bytes; v2 OIDs
 * (.8 and later) hold a DER UTF8String.
 */
export const FULCIO_OID_PREFIX = '1.3.6.1.4.1.57264.1.';

const NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'issuer_v1'],
  [2, 'github_workflow_trigger'],
  [3, 'github_workflow_sha'],
  [4, 'github_workflow_name'],
  [5, 'github_workflow_repository'],
  [6, 'github_workflow_ref'],
  [8, 'issuer'],
  [9, 'build_signer_uri'],
  [10, 'build_signer_digest'],
  [11, 'runner_environment'],
  [12, 'source_repository_uri'],
  [13, 'source_repository_digest'],
  [14, 'source_repository_ref'],
  [15, 'source_repository_identifier'],
  [16, 'source_repository_owner_uri'],
  [17, 'source_repository_owner_identifier'],
  [18, 'build_config_uri'],
  [19, 'build_config_digest'],
  [20, 'build_trigger'],
  [21, 'run_invocation_uri'],
  [22, 'source_repository_visibility_at_signing'],
  [23, 'deployment_environment'],
  [24, 'token_subject'],
]);

/** The field names policies can use, in OID order. */
export const FULCIO_EXTENSION_NAMES: readonly string[] = [...NAMES.values()];

export interface OidValue {
  oid: string;
  value: Uint8Array;
}

/** Decodes the Fulcio extensions among `oids`; unknown Fulcio OIDs appear as `oid_1_3_6_1_4_1_57264_1_N`. */
export function decodeFulcioExtensions(oids: readonly OidValue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { oid, value } of oids) {
    if (!oid.startsWith(FULCIO_OID_PREFIX)) continue;
    const arc = Number(oid.slice(FULCIO_OID_PREFIX.length));
    if (!Number.isInteger(arc) || arc === 7) continue; // .7 lives inside the SAN extension
    const decoded = arc >= 8 ? derUtf8String(value) : Buffer.from(value).toString('utf8');
    if (decoded === undefined) continue;
    out[NAMES.get(arc) ?? `oid_${oid.replaceAll('.', '_')}`] = decoded;
  }
  return out;
}

/** Reads a DER UTF8String (tag 0x0c, definite length); undefined when malformed. */
export function derUtf8String(v: Uint8Array): string | undefined {
  if (v.length < 2 || v[0] !== 0x0c) return undefined;
  let len = v[1] ?? 0;
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || v.length < 2 + n) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (v[2 + i] ?? 0);
    off = 2 + n;
  }
  if (off + len !== v.length) return undefined;
  return Buffer.from(v.subarray(off, off + len)).toString('utf8');
}
