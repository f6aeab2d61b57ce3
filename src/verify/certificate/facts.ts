import { X509Certificate } from '@sigstore/core';
import type { CertificateFacts } from '../../contract/input-v1.ts';
import { decodeFulcioExtensions } from './fulcio.ts';

/** Reads subject (SAN), issuer, validity and decoded Fulcio extensions from a leaf certificate. */
export function certificateFacts(cert: X509Certificate): CertificateFacts {
  const oids = cert.extensions.flatMap((ext) => {
    const first = ext.subs[0];
    const last = ext.subs[ext.subs.length - 1];
    if (!first || !last) return [];
    try {
      return [{ oid: first.toOID(), value: last.value }];
    } catch {
      return [];
    }
  });
  const extensions = decodeFulcioExtensions(oids);
  return {
    subject: cert.subjectAltName ?? '',
    issuer: extensions.issuer ?? extensions.issuer_v1 ?? '',
    extensions,
    not_before: cert.notBefore.toISOString(),
    not_after: cert.notAfter.toISOString(),
  };
}
