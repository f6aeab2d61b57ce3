import type { KeyObject } from 'node:crypto';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { Role } from './config.ts';

/** A string matcher: exact equality, or an anchored regular expression. */
export type Matcher =
  | { $case: 'exact'; value: string }
  | { $case: 'regexp'; source: string; regexp: RegExp };

export interface KeylessIdentity {
  /** a human label for messages, e.g. `subject=… issuer=…` */
  label: string;
  subject: Matcher;
  issuer: Matcher;
  /** constraints on decoded Fulcio extensions by name (certificate/fulcio.ts names) */
  extensions: Array<{ name: string; matcher: Matcher }>;
  /** what evidence signed by this identity may vouch for (config `roles`, default every role) */
  roles: readonly Role[];
}

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa' | 'ed25519';

export interface TrustedKey {
  id: string;
  algorithm: KeyAlgorithm;
  publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo, for comparing with keys recorded in tlog bodies */
  spki: Buffer;
  /** `sha256:<hex>` of the SPKI DER (equal to `id` when the config names none) */
  fingerprint: string;
  /** what evidence signed with this key may vouch for (config `roles`, default every role) */
  roles: readonly Role[];
}

export interface Thresholds {
  tlog: number;
  ctlog: number;
  timestamps: number;
}

/** Validated trust configuration: built once by `loadTrustPolicy`, used for every decision. */
export interface TrustPolicy {
  keys: TrustedKey[];
  identities: KeylessIdentity[];
  /** every configured trusted root merged into one (CAs, tlogs, ctlogs, TSAs) */
  trustedRoot: TrustedRoot;
  /** names of the roots merged in (`public-good`, file paths) for messages */
  rootNames: string[];
  thresholds: Thresholds;
  keyThresholds: { tlog: number; timestamps: number };
  /** config paths of the entries written without `roles` (they hold every role), for a start-up notice */
  unscoped: string[];
}
