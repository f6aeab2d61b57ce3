import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unwrap, wrap } from '../../../../src/cache/shared/envelope.ts';
import { withSharedDecisions } from '../../../../src/cache/shared/decisions.ts';
import type { SharedLock, SharedStore } from '../../../../src/cache/shared/store.ts';
import type { DecisionVersions } from '../../../../src/decide/cache.ts';
import { createFakeDecider } from '../../../support/fake-decider.ts';

const isObj = (v: unknown): v is { a: number } => typeof v === 'object' && v !== null && typeof (v as { a?: unknown }).a === 'number';
const bound = { trust: 't1', bundle: 'r1', bundle_digest: 'd1', db: 'db1' };

describe('shared cache envelope', () => {
  it('opens what it sealed, and nothing that was changed by a byte', () => {
    fc.assert(fc.property(fc.integer(), fc.nat(), (a, pos) => {
      const raw = wrap('decision', 'k', bound, { a }, null);
      expect(unwrap(raw, 'decision', 'k', bound, null, isObj)).toEqual({ ok: true, value: { a } });
      const env = JSON.parse(raw) as { payload: string };
      const i = pos % env.payload.length;
      const flipped = env.payload.slice(0, i) + (env.payload[i] === '1' ? '2' : '1') + env.payload.slice(i + 1);
      const tampered = JSON.stringify({ ...JSON.parse(raw), payload: flipped });
      expect(unwrap(tampered, 'decision', 'k', bound, null, isObj).ok).toBe(false);
    }));
  });

  it('refuses an entry written under another trust hash, bundle or DB, for another key, or of another version', () => {
    const raw = wrap('decision', 'k', bound, { a: 1 }, null);
    for (const k of Object.keys(bound)) {
      expect(unwrap(raw, 'decision', 'k', { ...bound, [k]: 'other' }, null, isObj)).toEqual({ ok: false, reason: `written under another ${k}` });
    }
    expect(unwrap(raw, 'decision', 'other-key', bound, null, isObj).ok).toBe(false);
    expect(unwrap(raw.replace('"v":1', '"v":2'), 'decision', 'k', bound, null, isObj).ok).toBe(false);
    expect(unwrap('garbage', 'decision', 'k', bound, null, isObj)).toEqual({ ok: false, reason: 'not JSON' });
    expect(unwrap(wrap('decision', 'k', bound, { b: 1 }, null), 'decision', 'k', bound, null, isObj)).toEqual({ ok: false, reason: 'payload has the wrong shape' });
  });

  it('with an integrity key, refuses entries sealed without it (a writer without the fleet secret)', () => {
    const key = Buffer.from('fleet-secret');
    const forged = wrap('decision', 'k', bound, { a: 1 }, null);
    expect(unwrap(forged, 'decision', 'k', bound, key, isObj)).toEqual({ ok: false, reason: 'payload digest does not match' });
    expect(unwrap(wrap('decision', 'k', bound, { a: 1 }, key), 'decision', 'k', bound, key, isObj).ok).toBe(true);
  });
});

/** An in-memory SharedStore with a switch to fail every call (a cache that is down). */
function memoryStore() {
  const data = new Map<string, string>();
  const locks = new Set<string>();
  let down = false;
  const store: SharedStore & { data: Map<string, string>; setDown(v: boolean): void } = {
    data,
    setDown: (v) => (down = v),
    get: async (k) => (down ? null : data.get(k) ?? null),
    set: async (k, v) => {
      if (!down) data.set(k, v);
    },
    lock: async (k): Promise<SharedLock | 'busy' | 'unavailable'> => {
      if (down) return 'unavailable';
      if (locks.has(k)) return 'busy';
      locks.add(k);
      return { release: async () => void locks.delete(k) };
    },
    state: () => ({ connected: !down }),
    close: async () => undefined,
  };
  return store;
}

const versions = (): DecisionVersions => ({ bundleRevision: 'rev-1', bundleDigest: 'sha256:b', trustHash: 't', dbVersion: 'db' });
const opts = { ttlSeconds: 60, lockMs: 1000, waitMs: 500, pollMs: 5, integrityKey: null, defaultPath: 'wasm/sbom' };
const REF = `reg.example/app@sha256:${'1'.repeat(64)}`;

describe('withSharedDecisions', () => {
  it('shares a digest-pinned decision: the second sidecar answers from the store without deciding', async () => {
    const store = memoryStore();
    const a = createFakeDecider({ revision: 'rev-1' });
    const b = createFakeDecider({ revision: 'rev-1' });
    const first = await withSharedDecisions(a, store, versions, opts).decide({ ref: REF });
    const second = await withSharedDecisions(b, store, versions, opts).decide({ ref: REF });
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
    expect(second).toMatchObject({ allow: first.allow, deny: first.deny, digest: first.digest, cached: true });
    // the shared lookup's own cost is reported with the decision's metrics
    expect(second.metrics.timer_wasmgate_shared_cache_ns).toBeGreaterThan(0);
    expect(second.decision_id).not.toBe(first.decision_id);
  });

  it('single flight: while one sidecar decides, the others wait for its answer instead of deciding', async () => {
    const store = memoryStore();
    const deciders = Array.from({ length: 5 }, () => createFakeDecider({ revision: 'rev-1', delayMs: 50 }));
    const answers = await Promise.all(deciders.map((d) => withSharedDecisions(d, store, versions, opts).decide({ ref: REF })));
    expect(deciders.reduce((n, d) => n + d.calls.length, 0)).toBe(1);
    expect(new Set(answers.map((x) => x.allow))).toEqual(new Set([true]));
  });

  it('never waits past wait_ms for another sidecar: then decides itself', async () => {
    const store = memoryStore();
    const slow = createFakeDecider({ revision: 'rev-1', delayMs: 400 });
    const fast = createFakeDecider({ revision: 'rev-1' });
    const holder = withSharedDecisions(slow, store, versions, opts).decide({ ref: REF });
    await new Promise((r) => setTimeout(r, 20));
    const seen: string[] = [];
    const waiter = await withSharedDecisions(fast, store, versions, { ...opts, waitMs: 100, onOutcome: (o) => seen.push(o) }).decide({ ref: REF });
    // it gave up waiting for the holder (still deciding for 400 ms) and decided itself
    expect(seen).toEqual(['waited_then_computed']);
    expect(fast.calls).toHaveLength(1);
    expect(waiter.allow).toBe(true);
    await holder;
  });

  it('does not use an entry written under another trust hash or bundle', async () => {
    const store = memoryStore();
    await withSharedDecisions(createFakeDecider({ revision: 'rev-1' }), store, versions, opts).decide({ ref: REF });
    const other = createFakeDecider({ revision: 'rev-1' });
    await withSharedDecisions(other, store, () => ({ ...versions(), trustHash: 'another' }), opts).decide({ ref: REF });
    expect(other.calls).toHaveLength(1);
  });

  it('decides locally when the store is down, and never shares a decision with errors or from another revision', async () => {
    const store = memoryStore();
    store.setDown(true);
    const d = createFakeDecider({ revision: 'rev-1' });
    const seen: string[] = [];
    expect((await withSharedDecisions(d, store, versions, { ...opts, onOutcome: (o) => seen.push(o) }).decide({ ref: REF })).allow).toBe(true);
    // no waiting for an answer nobody can give: decided at once
    expect(seen).toEqual(['computed']);
    store.setDown(false);
    const failing = createFakeDecider({ revision: 'rev-1', answer: () => ({ allow: false, errors: [{ code: 'timeout', message: 'x' }] }) });
    await withSharedDecisions(failing, store, versions, opts).decide({ ref: REF });
    const stale = createFakeDecider({ revision: 'rev-0' });
    await withSharedDecisions(stale, store, versions, opts).decide({ ref: REF });
    expect(store.data.size).toBe(0);
  });

  it('ignores and overwrites an entry that fails its checks', async () => {
    const store = memoryStore();
    const seen: string[] = [];
    await withSharedDecisions(createFakeDecider({ revision: 'rev-1' }), store, versions, opts).decide({ ref: REF });
    const [k] = [...store.data.keys()];
    store.data.set(k!, '{"v":1,"kind":"decision","garbage":true}');
    const d = createFakeDecider({ revision: 'rev-1' });
    await withSharedDecisions(d, store, versions, { ...opts, onOutcome: (o) => seen.push(o) }).decide({ ref: REF });
    expect(d.calls).toHaveLength(1);
    expect(seen).toEqual(['invalid', 'computed']);
    expect(store.data.get(k!)).toContain('"payload"');
  });

  it('passes tag refs straight through (a tag can move)', async () => {
    const store = memoryStore();
    const d = createFakeDecider({ revision: 'rev-1' });
    await withSharedDecisions(d, store, versions, opts).decide({ ref: 'reg.example/app:v1' });
    expect(store.data.size).toBe(0);
  });
});
