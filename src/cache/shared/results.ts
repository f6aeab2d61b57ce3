import { createHash } from 'node:crypto';
import type { Evidence, VulnerabilityScan } from '../../contract/input-v1.ts';
import { stableStringify } from '../../common/stable-json.ts';
import type { Component } from '../../analyse/sbom/index.ts';
import type { OsvDatabase } from '../../analyse/vulns/database.ts';
import { scanComponents, type ScanOptions } from '../../analyse/vulns/scan.ts';
import type { VerificationResult, VerificationStore } from '../../verify/cache.ts';
import { unwrap, wrap } from './envelope.ts';
import type { SharedStore } from './store.ts';

/** hit: answered from the shared cache; miss: nothing there; invalid: an entry failed its checks (overwritten next); stored: computed here and shared */
export type ResultOutcome = 'hit' | 'miss' | 'invalid' | 'stored';

export interface SharedResultOptions {
  ttlSeconds: number;
  integrityKey: Buffer | null;
  onOutcome?(kind: 'verification' | 'scan', outcome: ResultOutcome): void;
}

const ROUTES = new Set(['signatures', 'sbom_attestations', 'provenance_attestations', 'other_attestations']);

function isVerificationResult(v: unknown): v is VerificationResult {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as { route?: unknown; evidence?: unknown };
  if (typeof r.route !== 'string' || !ROUTES.has(r.route) || typeof r.evidence !== 'object' || r.evidence === null) return false;
  const e = r.evidence as Partial<Record<keyof Evidence, unknown>>;
  return typeof e.verified === 'boolean' && Array.isArray(e.errors) && typeof e.format === 'string'
    && typeof e.manifest_digest === 'string' && typeof e.subject_matches === 'boolean';
}

function isScan(v: unknown): v is VulnerabilityScan {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<Record<keyof VulnerabilityScan, unknown>>;
  return typeof s.source === 'string' && typeof s.database === 'object' && s.database !== null && Array.isArray(s.matches);
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Verified-evidence results shared by the fleet, behind a local tier (the verification cache's LRU). The key is
 * the local cache's key (evidence digests and descriptor, subject digests, trust hash), so an entry written under
 * another trust hash is never even looked up. Clearing on a trust change clears the local tier only: the shared
 * entries of the old trust stay valid for sidecars that still have it and expire by TTL.
 */
export function sharedVerificationStore(local: VerificationStore | null, store: SharedStore, o: SharedResultOptions): VerificationStore {
  return {
    async get(key) {
      const mine = await local?.get(key);
      if (mine !== undefined) return mine;
      const raw = await store.get(`verification:${key}`);
      if (raw === null) {
        o.onOutcome?.('verification', 'miss');
        return undefined;
      }
      const opened = unwrap(raw, 'verification', key, {}, o.integrityKey, isVerificationResult);
      if (!opened.ok) {
        o.onOutcome?.('verification', 'invalid');
        return undefined; // verified here, then overwritten
      }
      o.onOutcome?.('verification', 'hit');
      await local?.set(key, opened.value);
      return opened.value;
    },
    // the verification cache stores only outcomes that depend on content alone (never time-dependent ones or errors)
    async set(key, value) {
      await local?.set(key, value);
      await store.set(`verification:${key}`, wrap('verification', key, {}, value, o.integrityKey), o.ttlSeconds);
      o.onOutcome?.('verification', 'stored');
    },
    clear: async () => {
      await local?.clear();
    },
  };
}

export type Scanner = (components: readonly Component[], db: OsvDatabase, options?: ScanOptions) => Promise<VulnerabilityScan>;

/**
 * Vulnerability scans shared by the fleet: keyed by what the scan reads (the components of the verified SBOMs and the
 * module's embedded dependency list, so the SBOM content) and the database's content version, bound to that version.
 * A scan is a pure function of these; one that throws is never stored.
 */
export function sharedScanner(store: SharedStore, o: SharedResultOptions): Scanner {
  return async (components, db, options = {}) => {
    const version = db.info.version;
    const digest = sha256(stableStringify({ components, db: version, options }));
    const key = `scan:${digest}`;
    const bound = { db: version };
    const raw = await store.get(key);
    if (raw !== null) {
      const opened = unwrap(raw, 'scan', digest, bound, o.integrityKey, isScan);
      if (opened.ok) {
        o.onOutcome?.('scan', 'hit');
        return opened.value;
      }
      o.onOutcome?.('scan', 'invalid');
    } else {
      o.onOutcome?.('scan', 'miss');
    }
    const result = scanComponents(components, db, options);
    await store.set(key, wrap('scan', digest, bound, result, o.integrityKey), o.ttlSeconds);
    o.onOutcome?.('scan', 'stored');
    return result;
  };
}
