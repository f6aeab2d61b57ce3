import { createHash } from 'node:crypto';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { parse as parseYaml } from 'yaml';
import { messageOf } from '../../common/error.ts';
import { bundleError } from './error.ts';

/**
 * OPA's file digests for bundle signatures (v1/bundle/hash.go). Structured
 * files (`data.json`, `data.yaml`/`data.yml`, `.manifest`) are parsed and
 * hashed in a canonical form: object keys byte-sorted, no whitespace, numbers
 * as their original literal (OPA decodes with UseNumber), strings as Go's
 * encoding/json writes them with HTML escaping off. Other files hash raw.
 */

/** Hash algorithm names OPA accepts in `files[].algorithm`, mapped to node's names. */
export const HASH_ALGORITHMS: Readonly<Record<string, string>> = Object.freeze({
  'MD5': 'md5',
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512-224': 'sha512-224',
  'SHA-512-256': 'sha512-256',
});

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** True for the files OPA hashes in canonical form (by base name). */
export function isStructuredFile(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base === 'data.json' || base === 'data.yaml' || base === 'data.yml' || base === '.manifest' || base === 'signatures.json';
}

/** The bytes OPA feeds to the hash for this file. */
export function digestInput(name: string, bytes: Uint8Array): Uint8Array {
  if (!isStructuredFile(name)) return bytes;
  const text = utf8.decode(bytes);
  let value: unknown;
  try {
    value = name.endsWith('.yaml') || name.endsWith('.yml') ? parseYaml(text) : parseLossless(text);
  } catch (err) {
    throw bundleError('BUNDLE_SIGNATURE_INVALID', `bundle file ${name} does not parse, so its digest cannot be computed: ${messageOf(err)}`, { cause: err });
  }
  return Buffer.from(canonicalJson(value), 'utf8');
}

/** Hex digest of a bundle file as OPA computes it. */
export function fileDigest(name: string, bytes: Uint8Array, algorithm = 'SHA-256'): string {
  const node = HASH_ALGORITHMS[algorithm];
  if (node === undefined) {
    throw bundleError('BUNDLE_SIGNATURE_INVALID', `unsupported hashing algorithm ${algorithm} for ${name} (use one of ${Object.keys(HASH_ALGORITHMS).join(', ')})`);
  }
  return createHash(node).update(digestInput(name, bytes)).digest('hex');
}

/** OPA's canonical JSON text of a parsed value. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (isLosslessNumber(value)) return value.value;
  switch (typeof value) {
    case 'string':
      return goString(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Date) return goString(value.toISOString());
  const keys = Object.keys(value as object).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  return `{${keys.map((k) => `${goString(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** A string as Go's encoding/json writes it with SetEscapeHTML(false). */
function goString(s: string): string {
  return JSON.stringify(s.toWellFormed()).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
