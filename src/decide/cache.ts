import { createHash, randomUUID } from 'node:crypto';
import type { Decider, Decision, DecisionRequest } from './types.ts';
import { stableStringify } from '../common/stable-json.ts';
import { formatReference, pinnedSubject as subjectOf, tryParseReference } from '../resolve/reference.ts';

/**
 * What a cached decision depends on. A change in any part is a different key,
 * so no cached allow survives a bundle, trust or vulnerability DB change.
 */
export interface DecisionKeyParts {
  /** `repository@sha256:…` (evidence is found per repository, so the repository is part of the identity) */
  subject: string;
  /** the policy path asked */
  path: string;
  bundleRevision: string;
  /** the bundle's content digest: a bundle rebuilt with other data but the same revision is a different key */
  bundleDigest?: string;
  trustHash: string;
  dbVersion: string;
  /** the caller's `input.request` (its `time` is ignored) */
  request?: unknown;
}

export function decisionKey(p: DecisionKeyParts): string {
  let req = '';
  if (p.request !== undefined && p.request !== null) {
    const { time: _time, ...rest } = p.request as Record<string, unknown>;
    req = stableStringify(rest);
  }
  return `${p.subject}\u0000${p.path}\u0000${p.bundleRevision}\u0000${p.bundleDigest ?? ''}\u0000${p.trustHash}\u0000${p.dbVersion}\u0000${req}`;
}

/** sha256 of a config object's canonical JSON (e.g. the trust config), for the cache key. */
export function configHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

export interface DecisionCacheOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
  /** called on each lookup, for the cache-hit metric */
  onLookup?: (hit: boolean) => void;
}

export interface DecisionCacheStats {
  size: number;
  inflight: number;
  hits: number;
  misses: number;
  evictions: number;
}

export interface DecisionCache {
  /**
   * Answers from the cache, or runs `compute` once for all concurrent callers
   * of the same key. Only clean decisions are stored: a decision with errors,
   * a rejected computation, or one decided by another bundle revision than
   * `expectRevision` is never cached. Every answer gets its own decision_id.
   */
  getOrCompute(key: string, compute: () => Promise<Decision>, expectRevision?: string, options?: { store?: boolean }): Promise<Decision>;
  /** drops every entry (bundle activation, trust or DB change); in-flight work is not stored */
  invalidateAll(): void;
  stats(): DecisionCacheStats;
}

interface Entry {
  decision: Decision;
  expires: number;
}

export function createDecisionCache(options: DecisionCacheOptions): DecisionCache {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Decision>>();
  let generation = 0;
  let hits = 0;
  let misses = 0;
  let evictions = 0;
  const enabled = options.ttlMs > 0 && options.maxEntries > 0;

  const hit = (d: Decision): Decision => ({ ...d, decision_id: randomUUID(), cached: true, metrics: { counter_server_query_cache_hit: 1 } });

  const store = (key: string, d: Decision): void => {
    entries.delete(key);
    entries.set(key, { decision: d, expires: now() + options.ttlMs });
    while (entries.size > options.maxEntries) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
      evictions++;
    }
  };

  return {
    getOrCompute(key, compute, expectRevision, { store: storable = true } = {}) {
      if (enabled && storable) {
        const e = entries.get(key);
        if (e !== undefined) {
          if (e.expires > now()) {
            hits++;
            options.onLookup?.(true);
            return Promise.resolve(hit(e.decision));
          }
          entries.delete(key);
        }
      }
      const running = inflight.get(key);
      if (running !== undefined) {
        hits++;
        options.onLookup?.(true);
        return running.then(hit);
      }
      misses++;
      options.onLookup?.(false);
      const gen = generation;
      const p = (async () => compute())();
      inflight.set(key, p);
      const settle = (): void => {
        if (inflight.get(key) === p) inflight.delete(key);
      };
      p.then(
        (d) => {
          settle();
          const clean = d.errors.length === 0 && (expectRevision === undefined || d.revision === expectRevision);
          if (enabled && storable && clean && gen === generation) store(key, { ...d, metrics: {} });
        },
        settle,
      );
      return p;
    },
    invalidateAll() {
      generation++;
      entries.clear();
    },
    stats() {
      return { size: entries.size, inflight: inflight.size, hits, misses, evictions };
    },
  };
}

/** The cache's view of what decisions currently depend on; null while any is unknown (nothing is cached). */
export interface DecisionVersions {
  /** the active bundle's revision: a computed decision is stored only if that bundle made it */
  bundleRevision: string;
  bundleDigest?: string;
  trustHash: string;
  dbVersion: string;
}

/**
 * `repo[:tag]@sha256:…` → `repository@sha256:…` from the one reference parser (src/resolve); null for a ref
 * not pinned by digest or not a reference at all.
 */
export function pinnedSubject(ref: string): string | null {
  const parsed = tryParseReference(ref);
  return parsed === null ? null : subjectOf(parsed);
}

/** The cache identity of an unpinned ask: the canonical reference (or the raw text when it does not parse). */
function unpinnedKey(ref: string): string {
  const parsed = tryParseReference(ref);
  return parsed === null ? `invalid:${ref}` : `tag:${formatReference(parsed)}`;
}

/**
 * Pins a tag ref to the digest it points at now (`repo@sha256:…`), or null when the ref is already pinned or
 * cannot be resolved cheaply (it is then decided as asked).
 */
export type RefResolver = (ref: string, signal?: AbortSignal) => Promise<string | null>;

/**
 * A Decider decorator caching decisions for digest-pinned refs. A ref by tag is
 * resolved first when a `resolve` is given (a layout's index.json, one registry
 * HEAD), then decided as `repo@digest`: it is answered from the decision cached
 * for that digest, and a moved tag resolves to another key, so it is decided
 * afresh. Without `resolve` a tag is never stored (a tag is mutable), but
 * concurrent identical asks for it still share one computation.
 */
export function withDecisionCache(inner: Decider, cache: DecisionCache, versions: () => DecisionVersions | null, defaultPath = 'wasm/sbom', resolve?: RefResolver): Decider {
  const decideKeyed = (req: DecisionRequest, subject: string | null, v: DecisionVersions): Promise<Decision> => {
    const key = decisionKey({ subject: subject ?? unpinnedKey(req.ref), path: req.path ?? defaultPath, request: req.request, ...v });
    // the shared computation must not die with the first caller's signal
    return cache.getOrCompute(key, () => inner.decide(req), v.bundleRevision, { store: subject !== null });
  };
  return {
    decide(req: DecisionRequest, signal?: AbortSignal): Promise<Decision> {
      const subject = pinnedSubject(req.ref);
      const v = versions();
      if (v === null) return inner.decide(req, signal);
      if (subject !== null || resolve === undefined) return decideKeyed(req, subject, v);
      return resolve(req.ref, signal).then((pinned) => {
        const pinnedSubj = pinned === null ? null : pinnedSubject(pinned);
        if (pinned === null || pinnedSubj === null) return decideKeyed(req, null, v);
        return decideKeyed({ ...req, ref: pinned }, pinnedSubj, v);
      });
    },
  };
}
