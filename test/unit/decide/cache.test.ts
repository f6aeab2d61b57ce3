import { describe, expect, it } from 'vitest';
import { createDecisionCache, decisionKey, pinnedSubject, withDecisionCache, configHash } from '../../../src/decide/index.ts';
import type { Decision } from '../../../src/decide/index.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';

const D = `sha256:${'a'.repeat(64)}`;
const parts = { subject: `r/app@${D}`, path: 'wasm/sbom', bundleRevision: 'r1', trustHash: 't1', dbVersion: 'db1' };

async function decision(over: Partial<Decision> = {}): Promise<Decision> {
  const d = await createFakeDecider().decide({ ref: `r/app@${D}` });
  return { ...d, ...over };
}

describe('decisionKey', () => {
  it('differs when any dependency differs, ignores request.time', () => {
    const k = decisionKey(parts);
    for (const change of [{ subject: 'x' }, { path: 'wasm/sbom/allow' }, { bundleRevision: 'r2' }, { trustHash: 't2' }, { dbVersion: 'db2' }, { request: { runtime: 'spin' } }]) {
      expect(decisionKey({ ...parts, ...change })).not.toBe(k);
    }
    expect(decisionKey({ ...parts, request: { time: 'a', runtime: 'x' } })).toBe(decisionKey({ ...parts, request: { runtime: 'x', time: 'b' } }));
  });
  it('configHash ignores key order', () => {
    expect(configHash({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(configHash({ b: [1, { d: 3, c: 2 }], a: 1 }));
  });
});

describe('createDecisionCache', () => {
  it('runs one computation for concurrent identical requests, each answer with its own decision_id', async () => {
    const cache = createDecisionCache({ ttlMs: 1000, maxEntries: 10 });
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const compute = async (): Promise<Decision> => {
      runs++;
      await gate;
      return decision();
    };
    const key = decisionKey(parts);
    const all = Array.from({ length: 5 }, () => cache.getOrCompute(key, compute));
    release();
    const answers = await Promise.all(all);
    expect(runs).toBe(1);
    expect(new Set(answers.map((a) => a.decision_id)).size).toBe(5);
    expect(answers.filter((a) => a.cached)).toHaveLength(4);
    const again = await cache.getOrCompute(key, compute);
    expect(again.cached).toBe(true);
    expect(runs).toBe(1);
  });

  it('expires entries after the TTL', async () => {
    let now = 0;
    const cache = createDecisionCache({ ttlMs: 100, maxEntries: 10, now: () => now });
    let runs = 0;
    const compute = async (): Promise<Decision> => {
      runs++;
      return decision();
    };
    await cache.getOrCompute('k', compute);
    now = 99;
    await cache.getOrCompute('k', compute);
    now = 100;
    await cache.getOrCompute('k', compute);
    expect(runs).toBe(2);
  });

  it('holds at most maxEntries, evicting the least recently stored', async () => {
    const cache = createDecisionCache({ ttlMs: 1000, maxEntries: 2 });
    for (const k of ['a', 'b', 'c']) await cache.getOrCompute(k, () => decision());
    expect(cache.stats()).toMatchObject({ size: 2, evictions: 1 });
  });

  it('never caches a failure, a decision with errors, or one from another revision', async () => {
    const cache = createDecisionCache({ ttlMs: 1000, maxEntries: 10 });
    await expect(cache.getOrCompute('a', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await cache.getOrCompute('b', () => decision({ allow: false, errors: [{ code: 'timeout', message: 'slow' }] }));
    await cache.getOrCompute('c', () => decision({ revision: 'other' }), 'rev-1');
    expect(cache.stats().size).toBe(0);
  });

  it('does not store work that was in flight across invalidateAll', async () => {
    const cache = createDecisionCache({ ttlMs: 1000, maxEntries: 10 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = cache.getOrCompute('k', async () => {
      await gate;
      return decision();
    });
    cache.invalidateAll();
    release();
    await p;
    expect(cache.stats().size).toBe(0);
  });
});

describe('pinnedSubject', () => {
  it.each([
    [`reg.io/org/app@${D}`, `reg.io/org/app@${D}`],
    [`reg.io:5000/org/app:1.0@${D}`, `reg.io:5000/org/app@${D}`],
    [`oci:/srv/layout@${D}`, `oci:/srv/layout@${D}`],
    [`oci:/srv/layout:v1@${D}`, `oci:/srv/layout@${D}`],
    ['reg.io/org/app:1.0', null],
    ['reg.io/org/app@sha256:abc', null],
  ])('%s → %s', (ref, subject) => {
    expect(pinnedSubject(ref)).toBe(subject);
  });
});

describe('withDecisionCache', () => {
  const versions = { bundleRevision: 'rev-1', trustHash: 't', dbVersion: 'd' };

  it('caches digest-pinned refs and passes tags through', async () => {
    const inner = createFakeDecider();
    const d = withDecisionCache(inner, createDecisionCache({ ttlMs: 1000, maxEntries: 10 }), () => versions);
    await d.decide({ ref: `r/app@${D}` });
    expect((await d.decide({ ref: `r/app@${D}` })).cached).toBe(true);
    await d.decide({ ref: 'r/app:1' });
    await d.decide({ ref: 'r/app:1' });
    expect(inner.calls).toHaveLength(3);
  });

  it('shares one computation among concurrent asks for the same tag, and stores none of them', async () => {
    const inner = createFakeDecider({ delayMs: 20 });
    const cache = createDecisionCache({ ttlMs: 1000, maxEntries: 10 });
    const d = withDecisionCache(inner, cache, () => versions);
    const answers = await Promise.all(Array.from({ length: 5 }, () => d.decide({ ref: 'r/app:1' })));
    expect(inner.calls).toHaveLength(1);
    expect(new Set(answers.map((a) => a.decision_id)).size).toBe(5);
    expect(cache.stats().size).toBe(0);
    await d.decide({ ref: 'r/app:1' });
    expect(inner.calls).toHaveLength(2);
  });

  it('misses after the bundle revision, trust or DB version changes (no stale allow)', async () => {
    const inner = createFakeDecider({ revision: 'rev-1' });
    let v = versions;
    const d = withDecisionCache(inner, createDecisionCache({ ttlMs: 1000, maxEntries: 10 }), () => v);
    await d.decide({ ref: `r/app@${D}` });
    for (const change of [{ trustHash: 't2' }, { dbVersion: 'd2' }]) {
      v = { ...versions, ...change };
      expect((await d.decide({ ref: `r/app@${D}` })).cached).toBe(false);
    }
    expect(inner.calls).toHaveLength(3);
  });

  it('caches nothing while versions are unknown', async () => {
    const inner = createFakeDecider();
    const d = withDecisionCache(inner, createDecisionCache({ ttlMs: 1000, maxEntries: 10 }), () => null);
    await d.decide({ ref: `r/app@${D}` });
    await d.decide({ ref: `r/app@${D}` });
    expect(inner.calls).toHaveLength(2);
  });
});
