import { isRecord } from '../common/is-record.ts';

/**
 * The keys each mapping of the `trust:` config section may hold: one list read by both `loadTrustPolicy`
 * (which rejects anything else) and the config validator (which reports typos with the rest of the config's
 * problems, with a did-you-mean). Add a key here and both know it.
 */
export const TRUST_KNOWN_KEYS = {
  trust: ['keys', 'keyless', 'trusted_roots', 'thresholds', 'key_thresholds', 'tuf'],
  key: ['id', 'path', 'pem', 'roles'],
  keyless: ['subject', 'subject_regexp', 'issuer', 'issuer_regexp', 'extensions', 'extensions_regexp', 'roles'],
  tuf: ['mirror', 'cache_dir', 'root', 'schedule', 'timeout_ms'],
  thresholds: ['tlog', 'ctlog', 'timestamps'],
  key_thresholds: ['tlog', 'timestamps'],
} as const satisfies Record<string, readonly string[]>;

export interface UnknownTrustKey {
  /** dotted config path, e.g. trust.keyless[0].isuser */
  key: string;
  value: unknown;
  known: readonly string[];
}


/** Every unknown key in a raw `trust:` section (structure only: no files are read, values are not checked). */
export function unknownTrustKeys(trust: unknown): UnknownTrustKey[] {
  const out: UnknownTrustKey[] = [];
  const check = (path: string, obj: unknown, known: readonly string[]): void => {
    if (!isRecord(obj)) return;
    for (const [k, value] of Object.entries(obj)) if (!known.includes(k)) out.push({ key: `${path}.${k}`, value, known });
  };
  if (!isRecord(trust)) return out;
  check('trust', trust, TRUST_KNOWN_KEYS.trust);
  if (Array.isArray(trust.keys)) trust.keys.forEach((k, i) => check(`trust.keys[${i}]`, k, TRUST_KNOWN_KEYS.key));
  if (Array.isArray(trust.keyless)) trust.keyless.forEach((k, i) => check(`trust.keyless[${i}]`, k, TRUST_KNOWN_KEYS.keyless));
  check('trust.thresholds', trust.thresholds, TRUST_KNOWN_KEYS.thresholds);
  check('trust.key_thresholds', trust.key_thresholds, TRUST_KNOWN_KEYS.key_thresholds);
  check('trust.tuf', trust.tuf, TRUST_KNOWN_KEYS.tuf);
  return out;
}
