import { readFileSync } from 'node:fs';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { resolveConfigPath } from '../../common/paths.ts';
import { isRecord } from '../../common/is-record.ts';
import { closest } from '../../common/did-you-mean.ts';
import { VerifyError } from '../error.ts';
import { TRUST_KNOWN_KEYS } from '../../config/trust-keys.ts';
import { FULCIO_EXTENSION_NAMES } from '../certificate/fulcio.ts';
import { PUBLIC_GOOD, ROLES, type KeylessIdentityConfigV1, type Role, type TrustConfigV1 } from './config.ts';
import { parsePublicKey } from './keys.ts';
import { compileAnchored, describeMatcher, toMatcher } from './matcher.ts';
import type { KeylessIdentity, TrustedKey, TrustPolicy } from './policy.ts';
import { loadPublicGoodRoot, loadTrustedRootFile, mergeTrustedRoots } from './roots.ts';
import { tufSettingsFromConfig } from './tuf.ts';

export interface LoadTrustOptions {
  /** directory relative paths (keys, trusted roots) are resolved against; default: cwd */
  baseDir?: string;
  /** the public-good root to use instead of the shipped copy (a root refreshed over `trust.tuf`) */
  publicGoodRoot?: TrustedRoot;
}

function fail(message: string): never {
  throw new VerifyError('TRUST_CONFIG_INVALID', message);
}

function checkKnownKeys(path: string, obj: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (allowed.includes(k)) continue;
    const near = closest(k, allowed);
    fail(`${path}.${k}: unknown key; ${near ? `did you mean "${near}"? ` : ''}allowed: ${allowed.join(', ')}`);
  }
}

/**
 * The `roles:` of one trust entry: a non-empty list of known roles. Omitted, the
 * entry holds every role (configs written before roles keep verifying as before)
 * and its path is added to `unscoped`.
 */
function toRoles(p: string, v: unknown, unscoped: string[]): readonly Role[] {
  if (v === undefined) {
    unscoped.push(p);
    return ROLES;
  }
  if (!Array.isArray(v) || v.length === 0) fail(`${p}.roles: must be a non-empty list of ${ROLES.join(', ')} (omit it to allow every role)`);
  const out = new Set<Role>();
  v.forEach((r: unknown, i: number) => {
    if (typeof r !== 'string' || !(ROLES as readonly string[]).includes(r)) fail(`${p}.roles[${i}]: ${JSON.stringify(r)} is not a role; use ${ROLES.join(', ')}`);
    out.add(r as Role);
  });
  return ROLES.filter((r) => out.has(r));
}

function threshold(path: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 16) fail(`${path}: ${JSON.stringify(v)} must be an integer from 0 to 16`);
  return v;
}

/**
 * Validates the `trust:` config section and loads keys and trusted roots from
 * disk. Synchronous and offline: the public-good root is the copy shipped in
 * src/verify/roots. Throws VerifyError naming the offending key.
 */
export function loadTrustPolicy(config: unknown, opts: LoadTrustOptions = {}): TrustPolicy {
  const base = opts.baseDir ?? process.cwd();
  const abs = (p: string): string => resolveConfigPath(base, p);
  const cfg: Record<string, unknown> = config === undefined || config === null ? {} : isRecord(config) ? config : fail('trust: must be a mapping');
  checkKnownKeys('trust', cfg, TRUST_KNOWN_KEYS.trust);
  const typed = cfg as TrustConfigV1;

  // Checks and loads every public key.
  const unscoped: string[] = [];
  const keys: TrustedKey[] = [];
  const keyList: unknown = typed.keys ?? [];
  if (!Array.isArray(keyList)) fail('trust.keys: must be a list of {id, path | pem, roles}');
  keyList.forEach((k: unknown, i: number) => {
    const p = `trust.keys[${i}]`;
    if (!isRecord(k)) fail(`${p}: must be a mapping with path or pem`);
    checkKnownKeys(p, k, TRUST_KNOWN_KEYS.key);
    if (k.id !== undefined && (typeof k.id !== 'string' || k.id === '')) fail(`${p}.id: must be a non-empty string`);
    const hasPath = typeof k.path === 'string' && k.path !== '';
    const hasPem = typeof k.pem === 'string' && k.pem !== '';
    if (hasPath === hasPem) fail(`${p}: give exactly one of path (a PEM file) or pem (the key inline)`);
    let pem: string;
    if (hasPath) {
      try {
        pem = readFileSync(abs(k.path as string), 'utf8');
      } catch (err) {
        throw new VerifyError('TRUST_KEY_INVALID', `${p}.path: cannot read ${abs(k.path as string)}; check the path`, { cause: err });
      }
    } else {
      pem = k.pem as string;
    }
    const key = parsePublicKey(pem, p, k.id as string | undefined, toRoles(p, k.roles, unscoped));
    if (keys.some((x) => x.id === key.id)) fail(`${p}.id: duplicate key id ${key.id}`);
    // One key, one entry: its roles are listed once (a second entry would make the roles depend on the order).
    const same = keys.findIndex((x) => x.fingerprint === key.fingerprint);
    if (same >= 0) fail(`${p}: the same public key (${key.fingerprint}) is already trust.keys[${same}]; list it once, with every role it holds under roles:`);
    keys.push(key);
  });

  // Checks every keyless identity.
  const idList: unknown = typed.keyless ?? [];
  if (!Array.isArray(idList)) fail('trust.keyless: must be a list of {subject|subject_regexp, issuer|issuer_regexp}');
  const identities = idList.map((raw: unknown, i: number) => toIdentity(`trust.keyless[${i}]`, raw, unscoped));

  // Loads and validates the trusted roots.
  const rootsCfg: unknown = typed.trusted_roots ?? PUBLIC_GOOD;
  const rootNames: string[] = rootsCfg === 'none' ? [] : typeof rootsCfg === 'string' ? [rootsCfg] : Array.isArray(rootsCfg) ? rootsCfg : fail('trust.trusted_roots: must be "public-good", "none" or a list of trusted_root.json paths');
  const roots: TrustedRoot[] = rootNames.map((name, i) => {
    if (typeof name !== 'string' || name === '') fail(`trust.trusted_roots[${i}]: must be "public-good" or a path`);
    return name === PUBLIC_GOOD ? (opts.publicGoodRoot ?? loadPublicGoodRoot()) : loadTrustedRootFile(abs(name));
  });
  if (tufSettingsFromConfig(cfg, base) !== undefined && !rootNames.includes(PUBLIC_GOOD)) {
    fail('trust.tuf: refreshes the public-good trusted root, but trust.trusted_roots does not list "public-good"; add it or remove trust.tuf');
  }
  if (identities.length > 0 && roots.every((r) => r.certificateAuthorities.length === 0)) {
    fail('trust.trusted_roots: keyless identities need a trusted root with a certificate authority (use public-good or a trusted_root.json)');
  }

  const th = isRecord(typed.thresholds) ? typed.thresholds : typed.thresholds === undefined ? {} : fail('trust.thresholds: must be a mapping');
  checkKnownKeys('trust.thresholds', th, TRUST_KNOWN_KEYS.thresholds);
  const kth = isRecord(typed.key_thresholds) ? typed.key_thresholds : typed.key_thresholds === undefined ? {} : fail('trust.key_thresholds: must be a mapping');
  checkKnownKeys('trust.key_thresholds', kth, TRUST_KNOWN_KEYS.key_thresholds);
  const thresholds = {
    tlog: threshold('trust.thresholds.tlog', th.tlog, 1),
    ctlog: threshold('trust.thresholds.ctlog', th.ctlog, 1),
    timestamps: threshold('trust.thresholds.timestamps', th.timestamps, 1),
  };
  // A certificate is only checked against a CA at a proven signing time: without one there is nothing to check.
  if (thresholds.timestamps < 1) fail('trust.thresholds.timestamps: keyless verification needs at least 1 (a tlog entry or an RFC 3161 timestamp proves when the short-lived certificate signed)');
  return {
    keys,
    identities,
    trustedRoot: mergeTrustedRoots(roots),
    rootNames,
    thresholds,
    keyThresholds: {
      tlog: threshold('trust.key_thresholds.tlog', kth.tlog, 0),
      timestamps: threshold('trust.key_thresholds.timestamps', kth.timestamps, 0),
    },
    unscoped,
  };
}

function toIdentity(p: string, raw: unknown, unscoped: string[]): KeylessIdentity {
  if (!isRecord(raw)) fail(`${p}: must be a mapping with subject|subject_regexp and issuer|issuer_regexp`);
  checkKnownKeys(p, raw, TRUST_KNOWN_KEYS.keyless);
  const c = raw as KeylessIdentityConfigV1;
  const subject = toMatcher(`${p}.subject`, c.subject, c.subject_regexp);
  const issuer = toMatcher(`${p}.issuer`, c.issuer, c.issuer_regexp);
  const extensions: KeylessIdentity['extensions'] = [];
  for (const [field, isRe] of [['extensions', false], ['extensions_regexp', true]] as const) {
    const obj: unknown = raw[field];
    if (obj === undefined) continue;
    if (!isRecord(obj)) fail(`${p}.${field}: must be a mapping of extension name to value`);
    for (const [name, value] of Object.entries(obj)) {
      if (!FULCIO_EXTENSION_NAMES.includes(name)) fail(`${p}.${field}.${name}: unknown Fulcio extension; known: ${FULCIO_EXTENSION_NAMES.join(', ')}`);
      if (typeof value !== 'string' || value === '') fail(`${p}.${field}.${name}: must be a non-empty string`);
      extensions.push({
        name,
        matcher: isRe ? { $case: 'regexp', source: value, regexp: compileAnchored(`${p}.${field}.${name}`, value) } : { $case: 'exact', value },
      });
    }
  }
  return { label: `subject ${describeMatcher(subject)} from issuer ${describeMatcher(issuer)}`, subject, issuer, extensions, roles: toRoles(p, raw.roles, unscoped) };
}
