import { createHash, X509Certificate } from 'node:crypto';
import type { SerializedBundle } from '@sigstore/bundle';
import type { RawEvidence } from '../../oci/types.ts';
import type { Candidate } from './candidate.ts';
import { AdaptError } from './adapt-error.ts';
import { ANNOTATIONS, MEDIA_TYPES } from '../../oci/media-types.ts';
import { isRecord as isObject } from '../../common/is-record.ts';

type Json = Record<string, unknown>;

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AdaptError(`${what} is not JSON`, err);
  }
}

/** Reads cosign's Rekor "bundle" annotation into a v0.1 tlog entry (SET only: legacy storage has no proof). */
function toTlogEntry(annotation: string): Json {
  const rb = parseJson(annotation, `annotation ${ANNOTATIONS.cosignRekorBundle}`);
  const payload = isObject(rb) ? rb.Payload : undefined;
  if (!isObject(rb) || !isObject(payload) || typeof rb.SignedEntryTimestamp !== 'string' || typeof payload.body !== 'string'
    || typeof payload.logID !== 'string' || typeof payload.logIndex !== 'number' || typeof payload.integratedTime !== 'number') {
    throw new AdaptError(`annotation ${ANNOTATIONS.cosignRekorBundle} lacks SignedEntryTimestamp or Payload{body,logID,logIndex,integratedTime}`);
  }
  const body = parseJson(Buffer.from(payload.body, 'base64').toString('utf8'), 'Rekor entry body');
  if (!isObject(body) || typeof body.kind !== 'string' || typeof body.apiVersion !== 'string') {
    throw new AdaptError('Rekor entry body lacks kind/apiVersion');
  }
  return {
    logIndex: String(payload.logIndex),
    logId: { keyId: b64(Buffer.from(payload.logID, 'hex')) },
    kindVersion: { kind: body.kind, version: body.apiVersion },
    integratedTime: String(payload.integratedTime),
    inclusionPromise: { signedEntryTimestamp: rb.SignedEntryTimestamp },
    canonicalizedBody: payload.body,
  };
}

/**
 * Converts a cosign legacy `.sig` or `.att` layer (signature, certificate, Rekor
 * bundle and RFC 3161 annotations) into a Sigstore bundle v0.1, so that one
 * verifier handles every format. The message digest is computed from the
 * downloaded bytes, never taken from the layer.
 */
export function legacyToCandidate(raw: RawEvidence): Candidate {
  const ann = raw.layer.annotations ?? {};
  const blob = Buffer.from(raw.payload);
  const isAttestation = raw.kind === 'cosign-legacy-attestation';
  if (isAttestation && raw.layer.mediaType !== MEDIA_TYPES.dsseEnvelope) {
    throw new AdaptError(`legacy attestation layer has media type ${raw.layer.mediaType}, expected ${MEDIA_TYPES.dsseEnvelope}`);
  }
  const vm: Json = { tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } };
  const certPem = ann[ANNOTATIONS.cosignCertificate];
  if (certPem) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certPem);
    } catch (err) {
      throw new AdaptError(`annotation ${ANNOTATIONS.cosignCertificate} is not a PEM certificate`, err);
    }
    vm.x509CertificateChain = { certificates: [{ rawBytes: b64(cert.raw) }] };
  } else {
    vm.publicKey = { hint: '' };
  }
  const rekor = ann[ANNOTATIONS.cosignRekorBundle];
  if (rekor) (vm.tlogEntries as Json[]).push(toTlogEntry(rekor));
  const ts = ann[ANNOTATIONS.cosignRfc3161];
  // cosign's legacy .att timestamps the whole envelope rather than the signature: only usable without a SET
  if (ts && !(isAttestation && rekor)) {
    const t = parseJson(ts, `annotation ${ANNOTATIONS.cosignRfc3161}`);
    if (!isObject(t) || typeof t.SignedRFC3161Timestamp !== 'string') throw new AdaptError(`annotation ${ANNOTATIONS.cosignRfc3161} lacks SignedRFC3161Timestamp`);
    (vm.timestampVerificationData as { rfc3161Timestamps: Json[] }).rfc3161Timestamps.push({ signedTimestamp: t.SignedRFC3161Timestamp });
  }
  const out: Json = { mediaType: MEDIA_TYPES.sigstoreBundleV01, verificationMaterial: vm };
  if (isAttestation) {
    out.dsseEnvelope = parseJson(blob.toString('utf8'), 'DSSE envelope');
    return { format: 'cosign-legacy', content: 'dsse', bundle: out as unknown as SerializedBundle };
  }
  const sig = ann[ANNOTATIONS.cosignSignature];
  if (!sig) throw new AdaptError(`legacy signature layer has no ${ANNOTATIONS.cosignSignature} annotation`);
  out.messageSignature = {
    messageDigest: { algorithm: 'SHA2_256', digest: b64(createHash('sha256').update(blob).digest()) },
    signature: sig,
  };
  return { format: 'cosign-legacy', content: 'message-signature', bundle: out as unknown as SerializedBundle, artifact: blob };
}
