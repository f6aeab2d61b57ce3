/**
 * Offline keyless Sigstore material for tests, built with @sigstore/mock's CA,
 * CT log, Rekor log and TSA (no HTTP): a matching trusted_root.json, Fulcio
 * certificates with GitHub-style extensions, and cosign-shaped evidence (legacy
 * `.sig`/`.att` layers with annotations, v0.3 bundles as referrer layers).
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA } from '@sigstore/mock';
import { dsse } from '@sigstore/core';
import type { ModuleTarget, RawEvidence } from '../../../src/oci/types.ts';

const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString('base64');
const b64url = (s: string): string => Buffer.from(s).toString('base64url');
const bytes = (v: ArrayBufferView): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();
const toPem = (der: Uint8Array, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n${b64(der).replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

export interface Claims {
  /** becomes the SAN (Fulcio mock uses the `sub` claim) */
  sub: string;
  iss: string;
  repository?: string;
  ref?: string;
  sha?: string;
  job_workflow_ref?: string;
  workflow_ref?: string;
  event_name?: string;
}

/** GitHub Actions claims for `https://github.com/<repo>/.github/workflows/<wf>@<ref>`. */
export function githubClaims(repo: string, workflow = 'build.yml', ref = 'refs/heads/main', iss = GITHUB_ISSUER): Claims {
  const wf = `${repo}/.github/workflows/${workflow}@${ref}`;
  return { sub: `https://github.com/${wf}`, iss, repository: repo, ref, sha: 'a'.repeat(40), job_workflow_ref: wf, workflow_ref: wf, event_name: 'push' };
}

export interface Signer {
  certPem: string;
  certDer: Buffer;
  privateKey: KeyObject;
}

interface RekorEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: { signedEntryTimestamp: string; inclusionProof: { logIndex: number; treeSize: number; checkpoint: string; hashes: string[]; rootHash: string } };
}

export interface MockSigstore {
  trustedRoot: Record<string, unknown>;
  /** a file holding `trustedRoot`, for `trust.trusted_roots` */
  trustedRootPath: string;
  issue(claims: Claims): Promise<Signer>;
  log(entry: object): Promise<RekorEntry>;
  /** an RFC 3161 TimeStampResp (base64) over sha256(signature), as a Sigstore TSA returns it */
  timestamp(signature: Buffer): Promise<string>;
}

export async function createMockSigstore(opts: { caClock?: Date } = {}): Promise<MockSigstore> {
  const keyPair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ctlog = await initializeCTLog(keyPair);
  const ca = await initializeCA(keyPair, ctlog, opts.caClock);
  const tlog = await initializeTLog('https://rekor.sigstore.dev', keyPair);
  const tsa = await initializeTSA(keyPair);
  const start = new Date((opts.caClock ?? new Date()).getTime() - 3600_000).toISOString();
  const spki = (buf: Uint8Array) => ({ rawBytes: b64(buf), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{ baseUrl: 'https://rekor.sigstore.dev', hashAlgorithm: 'SHA2_256', publicKey: spki(tlog.publicKey), logId: { keyId: b64(sha256(tlog.publicKey)) } }],
    ctlogs: [{ baseUrl: 'https://ctfe.sigstore.dev', hashAlgorithm: 'SHA2_256', publicKey: spki(ctlog.publicKey), logId: { keyId: b64(bytes(ctlog.logID)) } }],
    certificateAuthorities: [{ subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: 'https://fulcio.sigstore.dev', certChain: { certificates: [{ rawBytes: b64(bytes(ca.rootCertificate)) }] }, validFor: { start } }],
    timestampAuthorities: [{ subject: { organization: 'sigstore.mock', commonName: 'tsa' }, uri: 'https://tsa.sigstore.dev', certChain: { certificates: [{ rawBytes: b64(bytes(tsa.intCertificate)) }, { rawBytes: b64(bytes(tsa.rootCertificate)) }] }, validFor: { start } }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-mock-root-'));
  const trustedRootPath = join(dir, 'trusted_root.json');
  writeFileSync(trustedRootPath, JSON.stringify(trustedRoot));
  const fulcio = fulcioHandler(ca);
  return {
    trustedRoot,
    trustedRootPath,
    async issue(claims) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const jwt = `${b64url(JSON.stringify({ alg: 'none' }))}.${b64url(JSON.stringify(claims))}.sig`;
      const res = await fulcio.fn(JSON.stringify({
        credentials: { oidcIdentityToken: jwt },
        publicKeyRequest: { publicKey: { content: publicKey.export({ format: 'pem', type: 'spki' }).toString() } },
      }));
      if (res.statusCode !== 201) throw new Error(`mock fulcio: ${String(res.response)}`);
      const body = JSON.parse(String(res.response)) as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } };
      const certPem = body.signedCertificateEmbeddedSct.chain.certificates[0] as string;
      return { certPem, certDer: Buffer.from(new X509Certificate(certPem).raw), privateKey };
    },
    async timestamp(signature) {
      // DER GeneralizedTime drops trailing zeros of the fraction ("…05.5Z"), which sigstore-js's parser rejects
      // ("invalid time": it wants exactly 3 digits). Ask again until genTime is sigstore-js-readable.
      for (let i = 0; ; i++) {
        const resp = Buffer.from(bytes(await tsa.timestamp({ artifactHash: sha256(signature), hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', nonce: 42, policyOID: '1.3.6.1.4.1.57264.2', certReq: false })));
        if (!/\d{14}\.\d{1,2}Z/.test(resp.toString('latin1')) || i >= 20) return b64(resp);
        await new Promise((r) => setTimeout(r, 1));
      }
    },
    async log(entry) {
      const res = await tlog.log(entry) as unknown as Record<string, RekorEntry>;
      return Object.values(res)[0] as RekorEntry;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Evidence builders

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_MT = 'application/vnd.dsse.envelope.v1+json';
export const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export function digestOf(b: Uint8Array | string): string {
  return `sha256:${sha256(b).toString('hex')}`;
}

/** A module target with a wasm layer, named by fake but well-formed digests. */
export function fakeModule(name = 'app'): ModuleTarget {
  const wasm = { mediaType: 'application/wasm', digest: digestOf(`wasm of ${name}`), size: 42 };
  return { ref: `127.0.0.1:5000/${name}:1`, repository: `127.0.0.1:5000/${name}`, digest: digestOf(`manifest of ${name}`), mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [wasm], wasmLayer: wasm };
}

function rekorAnnotation(e: RekorEntry): string {
  return JSON.stringify({ SignedEntryTimestamp: e.verification.signedEntryTimestamp, Payload: { body: e.body, integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logID } });
}

function raw(kind: RawEvidence['kind'], payload: Buffer, mediaType: string, annotations: Record<string, string>, attachedTo: string): RawEvidence {
  return {
    kind,
    manifestDigest: digestOf(`manifest for ${digestOf(payload)}`),
    attachedTo,
    discoveredVia: kind === 'sigstore-bundle' ? 'referrers-api' : 'cosign-legacy-tag',
    layer: { mediaType, digest: digestOf(payload), size: payload.length, annotations },
    payload,
  };
}

export function simpleSigningPayload(digest: string, reference = '127.0.0.1:5000/app'): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': reference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}

export function statement(subjectDigest: string, predicateType: string, predicate: unknown, type = 'https://in-toto.io/Statement/v1'): Buffer {
  return Buffer.from(JSON.stringify({ _type: type, subject: [{ name: '127.0.0.1:5000/app', digest: { sha256: subjectDigest.replace(/^sha256:/, '') } }], predicateType, predicate }));
}

export interface BuildOptions {
  /** skip the Rekor upload (no SET, no proof) */
  noTlog?: boolean;
  /** change the payload after signing */
  tamper?: (payload: Buffer) => Buffer;
  /** sign with this key instead (the certificate then does not match) */
  signingKey?: KeyObject;
  /** add an RFC 3161 timestamp from the mock TSA (bundles only) */
  tsa?: boolean;
}

/** A cosign legacy `.sig` layer signed by a mock Fulcio certificate, with a hashedrekord SET. */
export async function legacySignature(ms: MockSigstore, signer: Signer, payload: Buffer, attachedTo: string, opts: BuildOptions = {}): Promise<RawEvidence> {
  const sig = sign('sha256', payload, opts.signingKey ?? signer.privateKey);
  const ann: Record<string, string> = { 'dev.cosignproject.cosign/signature': b64(sig), 'dev.sigstore.cosign/certificate': signer.certPem };
  if (!opts.noTlog) {
    const e = await ms.log({ apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: sha256(payload).toString('hex') } }, signature: { content: b64(sig), publicKey: { content: b64(signer.certPem) } } } });
    ann['dev.sigstore.cosign/bundle'] = rekorAnnotation(e);
  }
  return raw('cosign-legacy-signature', opts.tamper ? opts.tamper(payload) : payload, SIMPLE_SIGNING, ann, attachedTo);
}

function envelope(payload: Buffer, key: KeyObject): { json: Record<string, unknown>; sig: Buffer } {
  const sig = sign('sha256', dsse.preAuthEncoding('application/vnd.in-toto+json', payload), key);
  return { json: { payloadType: 'application/vnd.in-toto+json', payload: b64(payload), signatures: [{ keyid: '', sig: b64(sig) }] }, sig };
}

function dsseEntry(env: Record<string, unknown>, payload: Buffer, sig: Buffer, certPem: string): object {
  return { apiVersion: '0.0.1', kind: 'dsse', spec: { envelopeHash: { algorithm: 'sha256', value: sha256(JSON.stringify(env)).toString('hex') }, payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') }, signatures: [{ signature: b64(sig), verifier: b64(certPem) }] } };
}

/** A cosign legacy `.att` layer (DSSE) with a dsse/0.0.1 SET. */
export async function legacyAttestation(ms: MockSigstore, signer: Signer, stmt: Buffer, attachedTo: string, opts: BuildOptions = {}): Promise<RawEvidence> {
  const { json, sig } = envelope(stmt, opts.signingKey ?? signer.privateKey);
  const ann: Record<string, string> = { 'dev.cosignproject.cosign/signature': '', 'dev.sigstore.cosign/certificate': signer.certPem };
  if (!opts.noTlog) ann['dev.sigstore.cosign/bundle'] = rekorAnnotation(await ms.log(dsseEntry(json, stmt, sig, signer.certPem)));
  if (opts.tamper) json.payload = b64(opts.tamper(stmt));
  return raw('cosign-legacy-attestation', Buffer.from(JSON.stringify(json)), DSSE_MT, ann, attachedTo);
}

/** A Sigstore bundle v0.3 (DSSE, certificate, Rekor entry with SET and inclusion proof) as a referrer layer. */
export async function bundleAttestation(ms: MockSigstore, signer: Signer, stmt: Buffer, attachedTo: string, opts: BuildOptions = {}): Promise<RawEvidence> {
  const { json, sig } = envelope(stmt, opts.signingKey ?? signer.privateKey);
  const tlogEntries = [];
  if (!opts.noTlog) {
    const e = await ms.log(dsseEntry(json, stmt, sig, signer.certPem));
    const p = e.verification.inclusionProof;
    tlogEntries.push({
      logIndex: String(e.logIndex), logId: { keyId: b64(Buffer.from(e.logID, 'hex')) }, kindVersion: { kind: 'dsse', version: '0.0.1' },
      integratedTime: String(e.integratedTime), inclusionPromise: { signedEntryTimestamp: e.verification.signedEntryTimestamp },
      inclusionProof: { logIndex: String(p.logIndex), rootHash: b64(Buffer.from(p.rootHash, 'hex')), treeSize: String(p.treeSize), hashes: p.hashes, checkpoint: { envelope: p.checkpoint } },
      canonicalizedBody: e.body,
    });
  }
  if (opts.tamper) json.payload = b64(opts.tamper(stmt));
  const rfc3161Timestamps = opts.tsa ? [{ signedTimestamp: await ms.timestamp(sig) }] : [];
  const bundle = { mediaType: BUNDLE_V03, verificationMaterial: { certificate: { rawBytes: b64(signer.certDer) }, tlogEntries, timestampVerificationData: { rfc3161Timestamps } }, dsseEnvelope: json };
  const ev = raw('sigstore-bundle', Buffer.from(JSON.stringify(bundle)), BUNDLE_V03, {}, attachedTo);
  ev.artifactType = BUNDLE_V03;
  return ev;
}

export { toPem };

// ---------------------------------------------------------------------------------------------------
// Key-signed evidence (no certificate, no tlog), as `cosign sign --key … --tlog-upload=false` shapes it,
// signed with Node's crypto: the hash follows the key (none for Ed25519, SHA-384 for P-384, else SHA-256).

function keyHash(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519') return null;
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256';
}

/** A cosign legacy `.sig` layer signed by a bare key (only the signature annotation). */
export function keySignedLegacySignature(key: KeyObject, payload: Buffer, attachedTo: string): RawEvidence {
  const sig = sign(keyHash(key), payload, key);
  return raw('cosign-legacy-signature', payload, SIMPLE_SIGNING, { 'dev.cosignproject.cosign/signature': b64(sig) }, attachedTo);
}

/** A Sigstore bundle v0.3 (DSSE, `publicKey` hint, no tlog) signed by a bare key, as a referrer layer. */
export function keySignedBundle(key: KeyObject, stmt: Buffer, attachedTo: string): RawEvidence {
  const sig = sign(keyHash(key), dsse.preAuthEncoding('application/vnd.in-toto+json', stmt), key);
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const bundle = {
    mediaType: BUNDLE_V03,
    verificationMaterial: { publicKey: { hint: b64(sha256(spki)) }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
    dsseEnvelope: { payloadType: 'application/vnd.in-toto+json', payload: b64(stmt), signatures: [{ keyid: '', sig: b64(sig) }] },
  };
  const ev = raw('sigstore-bundle', Buffer.from(JSON.stringify(bundle)), BUNDLE_V03, {}, attachedTo);
  ev.artifactType = BUNDLE_V03;
  return ev;
}
