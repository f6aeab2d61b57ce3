import { createHash, randomUUID } from 'node:crypto';
import { decisionKey, pinnedSubject, type DecisionVersions } from '../../decide/cache.ts';
import type { Decider, Decision, DecisionRequest } from '../../decide/types.ts';
import { unwrap, wrap } from './envelope.ts';
import type { SharedStore } from './store.ts';

export interface SharedDecisionOptions {
  ttlSeconds: number;
  /** expiry of the single-flight lock (a holder that dies frees it after this) */
  lockMs: number;
  /** how long a sidecar waits for another one's answer before deciding itself */
  waitMs: number;
  /** the first wait between two looks for another sidecar's answer; each next wait doubles, up to 100 ms */
  pollMs: number;
  integrityKey: Buffer | null;
  defaultPath: string;
  /** hit: answered from the shared cache; computed: decided here (held the lock, or waited in vain); invalid: an entry failed its checks */
  onOutcome?(outcome: 'hit' | 'computed' | 'waited_then_computed' | 'invalid'): void;
}

type Stored = Pick<Decision, 'allow' | 'deny' | 'digest' | 'revision' | 'result' | 'input'>;

function isStored(v: unknown): v is Stored {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d.allow === 'boolean' && Array.isArray(d.deny) && d.deny.every((x) => typeof x === 'string')
    && (typeof d.digest === 'string' || d.digest === null) && typeof d.revision === 'string' && 'result' in d;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MAX_POLL_MS = 100;

/**
 * Shares decisions for digest-pinned refs across sidecars. A shared entry is used only when it was written under the
 * same trust hash, bundle revision and digest and DB version this sidecar has now; it is an optimisation, never an
 * authority, so any cache trouble (down, slow, garbage) means deciding locally. When many sidecars ask about a new
 * module at once, one holds a lock and decides; the others wait for its answer up to `waitMs`, then decide themselves.
 */
export function withSharedDecisions(inner: Decider, store: SharedStore, versions: () => DecisionVersions | null, o: SharedDecisionOptions): Decider {
  const bind = (v: DecisionVersions): Record<string, string> => ({ trust: v.trustHash, bundle: v.bundleRevision, bundle_digest: v.bundleDigest ?? '', db: v.dbVersion });

  return {
    async decide(req: DecisionRequest, signal?: AbortSignal): Promise<Decision> {
      const subject = pinnedSubject(req.ref);
      const v = versions();
      if (subject === null || v === null) return inner.decide(req, signal);
      const full = decisionKey({ subject, path: req.path ?? o.defaultPath, request: req.request, ...v });
      const key = `decision:${createHash('sha256').update(full).digest('hex')}`;
      const bound = bind(v);

      const lookup = async (): Promise<Decision | null> => {
        const started = process.hrtime.bigint();
        const raw = await store.get(key);
        if (raw === null) return null;
        const opened = unwrap(raw, 'decision', full, bound, o.integrityKey, isStored);
        if (!opened.ok) {
          o.onOutcome?.('invalid');
          return null; // overwritten by the next computation
        }
        o.onOutcome?.('hit');
        // what the shared hit cost (GET and opening the envelope): the latency it adds over a local hit
        return { ...opened.value, errors: [], decision_id: randomUUID(), cached: true, metrics: { counter_server_query_cache_hit: 1, timer_wasmgate_shared_cache_ns: Number(process.hrtime.bigint() - started) } };
      };
      const computeAndShare = async (outcome: 'computed' | 'waited_then_computed'): Promise<Decision> => {
        const d = await inner.decide(req, signal);
        o.onOutcome?.(outcome);
        const now = versions();
        // only clean decisions made under the versions the key names are shared
        if (d.errors.length === 0 && d.revision === v.bundleRevision && now !== null && JSON.stringify(bind(now)) === JSON.stringify(bound)) {
          const stored: Stored = { allow: d.allow, deny: d.deny, digest: d.digest, revision: d.revision, result: d.result, input: d.input };
          await store.set(key, wrap('decision', full, bound, stored, o.integrityKey), o.ttlSeconds);
        }
        return d;
      };

      const hit = await lookup();
      if (hit) return hit;
      const lock = await store.lock(key, o.lockMs);
      // the cache is down or slow: decide here at once, nobody will answer for us
      if (lock === 'unavailable') return computeAndShare('computed');
      if (lock !== 'busy') {
        try {
          return await computeAndShare('computed');
        } finally {
          await lock.release();
        }
      }
      // Another sidecar holds the lock: wait for its answer, bounded, then decide here.
      // Backing off: a look is one GET, and a fleet of waiters looking every few ms costs more CPU than it saves.
      const until = performance.now() + o.waitMs;
      let pause = o.pollMs;
      while (performance.now() < until && !signal?.aborted) {
        await sleep(Math.min(pause, Math.max(1, until - performance.now())));
        pause = Math.min(pause * 2, MAX_POLL_MS);
        const answer = await lookup();
        if (answer) return answer;
      }
      return computeAndShare('waited_then_computed');
    },
  };
}
