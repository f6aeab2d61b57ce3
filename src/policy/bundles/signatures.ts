import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { messageOf } from '../../common/error.ts';
import type { KeyConfig } from '../../config/types.ts';
import { fileDigest, HASH_ALGORITHMS } from './canonical.ts';
import { bundleError } from './error.ts';

/**
 * `.signatures.json` the way OPA writes and checks it (v1/bundle/{sign,verify}.go):
 * one compact JWS whose payload lists every bundle file with its digest.
 */

export const SIGNATURES_FILE = '.signatures.json';

/** Algorithms OPA accepts for bundle signing keys. */
export const SIGNING_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512',
]);

/** What verifying a bundle needs: the `keys:` config and the bundle's `signing:` block. */
export interface VerificationConfig {
  keys: Readonly<Record<string, KeyConfig>>;
  keyid?: string;
  scope?: string;
  exclude_files?: readonly string[];
}

export interface FileEntry {
  name: string;
  hash: string;
  algorithm: string;
}

export type SignatureReport =
  | { status: 'unsigned' }
  | { status: 'verified'; keyid: string; algorithm: string; files: number; scope?: string };

interface Payload {
  files: FileEntry[];
  keyid?: string;
  scope?: string;
  [claim: string]: unknown;
}

/**
 * Applies OPA's decision table: signed without verification config → refused;
 * verification configured without `.signatures.json` → refused; neither → unsigned.
 * Otherwise the JWS must verify with the configured key (algorithm from the key
 * config), the scope must match, and every file must be listed with its digest.
 */
export async function verifyBundleSignatures(
  files: ReadonlyMap<string, Uint8Array>,
  config: VerificationConfig | undefined,
): Promise<SignatureReport> {
  const sigFile = files.get(SIGNATURES_FILE);
  if (config === undefined) {
    if (sigFile !== undefined) {
      throw bundleError('BUNDLE_SIGNATURE_UNEXPECTED', 'bundle is signed but verification key not provided; configure bundles.<name>.signing and keys.<id> to verify it');
    }
    return { status: 'unsigned' };
  }
  if (sigFile === undefined) {
    throw bundleError('BUNDLE_SIGNATURE_MISSING', 'bundle missing .signatures.json file but signature verification is configured; sign it with `wasmgate bundle sign` or `opa sign`');
  }
  const jws = readSingleSignature(sigFile);
  const header = safe(() => decodeProtectedHeader(jws), 'the signature header does not decode');
  const unverified = decodePayload(jws);
  const keyid = config.keyid ?? (typeof header.kid === 'string' ? header.kid : undefined) ?? unverified.keyid ?? '';
  if (keyid === '') throw invalid('verification key ID is empty; set bundles.<name>.signing.keyid');
  const keyConfig = config.keys[keyid];
  if (keyConfig === undefined) throw invalid(`verification key corresponding to ID ${keyid} not found; add keys.${keyid}`);
  const algorithm = keyConfig.algorithm || 'RS256';
  const key = toVerificationKey(keyConfig, keyid, algorithm);
  let payload: Payload;
  try {
    const { payload: bytes } = await compactVerify(jws, key, { algorithms: [algorithm] });
    payload = toPayload(JSON.parse(new TextDecoder().decode(bytes)));
  } catch (err) {
    throw invalid(`the signature does not verify with key ${keyid} (${algorithm}): ${messageOf(err)}`, err);
  }
  const wantScope = config.scope ?? keyConfig.scope ?? '';
  if ((payload.scope ?? '') !== wantScope) throw invalid(`scope mismatch: the bundle is signed for scope "${payload.scope ?? ''}" but "${wantScope}" is configured`);
  verifyFiles(files, payload.files, config.exclude_files ?? []);
  return { status: 'verified', keyid, algorithm, files: payload.files.length, ...(payload.scope !== undefined && { scope: payload.scope }) };
}

function verifyFiles(files: ReadonlyMap<string, Uint8Array>, listed: readonly FileEntry[], exclude: readonly string[]): void {
  const excluded = exclude.map(globToRegExp);
  const isExcluded = (n: string): boolean => excluded.some((re) => re.test(n));
  const byName = new Map<string, FileEntry>();
  for (const f of listed) byName.set(f.name.replace(/^(\.?\/)+/, ''), f);
  for (const [name, bytes] of files) {
    if (name === SIGNATURES_FILE || isExcluded(name)) continue;
    const entry = byName.get(name);
    if (entry === undefined) throw invalid(`file ${name} is not listed in the bundle's signature; the bundle was changed after signing`);
    if (fileDigest(name, bytes, entry.algorithm) !== entry.hash.toLowerCase()) {
      throw invalid(`${name}: digest mismatch; the file was changed after signing`);
    }
    byName.delete(name);
  }
  const missing = [...byName.keys()].filter((n) => !isExcluded(n));
  if (missing.length > 0) throw invalid(`file(s) ${missing.join(', ')} listed in the signature are missing from the bundle`);
}

export interface SignOptions {
  /** PEM private key (RS*, PS*, ES*) or the HMAC secret (HS*) */
  key: string;
  /** default RS256 */
  algorithm?: string;
  /** sets the JWT header `kid` */
  keyid?: string;
  /** extra claims (OPA's --claims-file) */
  claims?: Record<string, unknown>;
  scope?: string;
  /** globs of files left out of the signature */
  exclude_files?: readonly string[];
}

/** Signs a bundle's files; returns the `.signatures.json` text. */
export async function signBundleFiles(files: ReadonlyMap<string, Uint8Array>, options: SignOptions): Promise<string> {
  const algorithm = options.algorithm ?? 'RS256';
  if (!SIGNING_ALGORITHMS.includes(algorithm)) {
    throw bundleError('BUNDLE_SIGN_FAILED', `unsupported signing algorithm ${algorithm}; use one of ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  const excluded = (options.exclude_files ?? []).map(globToRegExp);
  const entries: FileEntry[] = [...files.keys()]
    .filter((n) => n !== SIGNATURES_FILE && !excluded.some((re) => re.test(n)))
    .sort()
    .map((name) => ({ name, hash: fileDigest(name, files.get(name) as Uint8Array), algorithm: 'SHA-256' }));
  const payload: Record<string, unknown> = { files: entries, ...options.claims };
  if (options.scope !== undefined) payload.scope = options.scope;
  let key: KeyObject | Uint8Array;
  try {
    key = algorithm.startsWith('HS') ? new TextEncoder().encode(options.key) : createPrivateKey(options.key);
  } catch (err) {
    throw bundleError('BUNDLE_SIGN_FAILED', `the signing key is not a usable PEM private key for ${algorithm}: ${messageOf(err)}`, { cause: err });
  }
  const header: { alg: string; kid?: string } = { alg: algorithm };
  if (options.keyid !== undefined) header.kid = options.keyid;
  try {
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header).sign(key);
    return `${JSON.stringify({ signatures: [jws] })}\n`;
  } catch (err) {
    throw bundleError('BUNDLE_SIGN_FAILED', `signing with ${algorithm} failed (does the key match the algorithm?): ${messageOf(err)}`, { cause: err });
  }
}

function readSingleSignature(bytes: Uint8Array): string {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw invalid(`.signatures.json is not JSON: ${messageOf(err)}`, err);
  }
  const sigs = (doc as { signatures?: unknown } | null)?.signatures;
  if (!Array.isArray(sigs) || sigs.length !== 1 || typeof sigs[0] !== 'string') {
    throw invalid('.signatures.json must hold exactly one signature ({"signatures": ["<JWS>"]})');
  }
  return sigs[0];
}

function decodePayload(jws: string): Payload {
  const part = jws.split('.')[1] ?? '';
  return safe(() => toPayload(JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))), 'the signature payload does not decode');
}

function toPayload(raw: unknown): Payload {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new TypeError('payload is not a JSON object');
  const p = raw as Record<string, unknown>;
  if (!Array.isArray(p.files)) throw new TypeError('payload has no files list');
  const files = p.files.map((f: unknown, i) => {
    const e = f as Record<string, unknown> | null;
    if (e === null || typeof e !== 'object' || typeof e.name !== 'string' || typeof e.hash !== 'string' || typeof e.algorithm !== 'string') {
      throw new TypeError(`payload files[${i}] needs string name, hash and algorithm`);
    }
    if (!(e.algorithm in HASH_ALGORITHMS)) throw new TypeError(`payload files[${i}] uses unsupported algorithm ${e.algorithm}`);
    return { name: e.name, hash: e.hash, algorithm: e.algorithm };
  });
  return {
    ...p,
    files,
    ...(typeof p.keyid === 'string' && { keyid: p.keyid }),
    ...(typeof p.scope === 'string' ? { scope: p.scope } : { scope: undefined }),
  } as Payload;
}

function toVerificationKey(k: KeyConfig, keyid: string, algorithm: string): KeyObject | Uint8Array {
  if (!SIGNING_ALGORITHMS.includes(algorithm)) {
    throw bundleError('BUNDLE_KEY_INVALID', `keys.${keyid}.algorithm ${algorithm} is not supported; use one of ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  const material = k.key;
  if (material === undefined || material === '') throw bundleError('BUNDLE_KEY_INVALID', `keys.${keyid} has no key; set keys.${keyid}.key to a PEM public key or HMAC secret`);
  if (algorithm.startsWith('HS')) return new TextEncoder().encode(material);
  try {
    return createPublicKey(material);
  } catch (err) {
    throw bundleError('BUNDLE_KEY_INVALID', `keys.${keyid}.key is not a PEM public key or certificate: ${messageOf(err)}`, { cause: err });
  }
}

/** `*` = any run of non-`/` characters, `**` = anything, `?` = one character. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re.replace(/^\/+/, '')}$`);
}

function safe<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    throw invalid(`${what}: ${messageOf(err)}`, err);
  }
}

function invalid(message: string, cause?: unknown) {
  return bundleError('BUNDLE_SIGNATURE_INVALID', message, cause === undefined ? {} : { cause });
}
