/**
 * Fleet mode beyond decisions (issue 16): verified-evidence results and vulnerability scans shared through the
 * store, with the demo module's real keyless evidence and a small real OSV database. A second sidecar answers from
 * what the first one computed without verifying or scanning; garbage is ignored and overwritten; another trust or
 * another DB version never sees the entries.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { componentFromPurl } from '../../../../src/analyse/sbom/purl.ts';
import { buildOsvDatabase, type OsvDatabase } from '../../../../src/analyse/vulns/database.ts';
import { scanComponents } from '../../../../src/analyse/vulns/scan.ts';
import { sharedScanner, sharedVerificationStore, type ResultOutcome } from '../../../../src/cache/shared/results.ts';
import type { SharedLock, SharedStore } from '../../../../src/cache/shared/store.ts';
import { collectEvidence } from '../../../../src/collect/collect.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../../src/config/defaults.ts';
import { parseConfig } from '../../../../src/config/load.ts';
import { createMemoryVerificationStore, createVerificationCache } from '../../../../src/verify/cache.ts';
import { loadTrustPolicy } from '../../../../src/verify/trust/load.ts';
import { verifyEvidence } from '../../../../src/verify/verify-evidence.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const config = parseConfig(EMBEDDED_DEFAULT_CONFIG_YAML, { env: {} });
const demoTrust = loadTrustPolicy(config.trust, { baseDir: ROOT });
const otherTrust = loadTrustPolicy({
  keyless: [{ subject: 'https://github.com/someone-else/app/.github/workflows/build.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' }],
  trusted_roots: ['demo/trusted_root.json'],
}, { baseDir: ROOT });

/** An in-memory SharedStore with a switch to fail every call (a cache that is down). */
function memoryStore() {
  const data = new Map<string, string>();
  let down = false;
  const store: SharedStore & { data: Map<string, string>; setDown(v: boolean): void } = {
    data,
    setDown: (v) => (down = v),
    get: async (k) => (down ? null : data.get(k) ?? null),
    set: async (k, v) => {
      if (!down) data.set(k, v);
    },
    lock: async (): Promise<SharedLock | 'busy' | 'unavailable'> => (down ? 'unavailable' : { release: async () => undefined }),
    state: () => ({ connected: !down }),
    close: async () => undefined,
  };
  return store;
}

/** one sidecar's verification cache: its own LRU in front of the shared store */
function sidecar(store: SharedStore) {
  const seen: ResultOutcome[] = [];
  const cache = createVerificationCache({ store: sharedVerificationStore(createMemoryVerificationStore(100), store, { ttlSeconds: 60, integrityKey: null, onOutcome: (_k, o) => seen.push(o) }) });
  return { cache, seen };
}

describe('shared verified-evidence results', () => {
  it('a second sidecar answers from what the first verified, without verifying', async () => {
    const collected = await collectEvidence(`oci:${ROOT}demo/store:payments`);
    const store = memoryStore();
    const a = sidecar(store);
    const b = sidecar(store);
    const fresh = await verifyEvidence(collected, demoTrust);
    expect(await a.cache.verify(collected, demoTrust)).toEqual(fresh);
    expect(a.seen).toEqual(['miss', 'stored', 'miss', 'stored', 'miss', 'stored']);
    expect(await b.cache.verify(collected, demoTrust)).toEqual(fresh);
    // every lookup was a hit: nothing verified here
    expect(b.cache.stats()).toMatchObject({ hits: 3, misses: 0 });
    expect(b.seen).toEqual(['hit', 'hit', 'hit']);
    // and the second time it is the local tier that answers
    await b.cache.verify(collected, demoTrust);
    expect(b.seen).toHaveLength(3);
  });

  it('never answers under another trust: the key carries the trust hash', async () => {
    const collected = await collectEvidence(`oci:${ROOT}demo/store:payments`);
    const store = memoryStore();
    await sidecar(store).cache.verify(collected, demoTrust);
    const other = sidecar(store);
    expect(await other.cache.verify(collected, otherTrust)).toEqual(await verifyEvidence(collected, otherTrust));
    expect(other.seen.filter((o) => o === 'hit')).toHaveLength(0);
  });

  it('ignores an entry that fails its checks, verifies itself and overwrites it', async () => {
    const collected = await collectEvidence(`oci:${ROOT}demo/store:payments`);
    const store = memoryStore();
    await sidecar(store).cache.verify(collected, demoTrust);
    const keys = [...store.data.keys()];
    // a forged "verified" entry whose digest does not match, and plain garbage
    const env = JSON.parse(store.data.get(keys[0]!)!) as { payload: string };
    store.data.set(keys[0]!, JSON.stringify({ ...env, payload: env.payload.replace('"verified":false', '"verified":true') + ' ' }));
    store.data.set(keys[1]!, 'garbage');
    const b = sidecar(store);
    expect(await b.cache.verify(collected, demoTrust)).toEqual(await verifyEvidence(collected, demoTrust));
    expect(b.seen.filter((o) => o === 'invalid')).toHaveLength(2);
    expect(b.seen.filter((o) => o === 'stored')).toHaveLength(2);
    const c = sidecar(store);
    await c.cache.verify(collected, demoTrust);
    expect(c.seen).toEqual(['hit', 'hit', 'hit']);
  });

  it('verifies locally when the store is down', async () => {
    const collected = await collectEvidence(`oci:${ROOT}demo/store:payments`);
    const store = memoryStore();
    store.setDown(true);
    expect(await sidecar(store).cache.verify(collected, demoTrust)).toEqual(await verifyEvidence(collected, demoTrust));
    expect(store.data.size).toBe(0);
  });
});

describe('shared vulnerability scans', () => {
  const record = (id: string, fixed: string) => ({
    name: `${id}.json`,
    bytes: new TextEncoder().encode(JSON.stringify({ id, modified: '2026-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'crates.io', name: 'smallvec' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] }] })),
  });
  /** the database with its lookups counted: a scan that did no work made none */
  const counted = (db: OsvDatabase) => {
    let lookups = 0;
    const wrapped: OsvDatabase = { info: db.info, lookup: (e, n) => (lookups++, db.lookup(e, n)), lookupPurl: (p) => (lookups++, db.lookupPurl(p)) };
    return { db: wrapped, lookups: () => lookups };
  };
  const components = [componentFromPurl('pkg:cargo/smallvec@1.6.0', '', ''), componentFromPurl('pkg:cargo/serde@1.0.0', '', '')];

  it('a second sidecar takes the first one\'s scan of the same components and DB version, without scanning', async () => {
    const store = memoryStore();
    const db = buildOsvDatabase([record('RUSTSEC-2021-0003', '1.6.1')]);
    const a = counted(db);
    const b = counted(db);
    const seen: string[] = [];
    const opts = { ttlSeconds: 60, integrityKey: null, onOutcome: (_k: string, o: ResultOutcome) => seen.push(o) };
    const first = await sharedScanner(store, opts)(components, a.db);
    expect(first).toEqual(scanComponents(components, db));
    expect(first.matches.map((m) => m.vulnerability.id)).toEqual(['RUSTSEC-2021-0003']);
    expect(a.lookups()).toBeGreaterThan(0);
    expect(await sharedScanner(store, opts)(components, b.db)).toEqual(first);
    expect(b.lookups()).toBe(0);
    expect(seen).toEqual(['miss', 'stored', 'hit']);
  });

  it('another DB version, other components or other options scan again', async () => {
    const store = memoryStore();
    const opts = { ttlSeconds: 60, integrityKey: null };
    await sharedScanner(store, opts)(components, buildOsvDatabase([record('RUSTSEC-2021-0003', '1.6.1')]));
    const newer = counted(buildOsvDatabase([record('RUSTSEC-2021-0003', '1.6.0')]));
    expect((await sharedScanner(store, opts)(components, newer.db)).matches).toEqual([]);
    expect(newer.lookups()).toBeGreaterThan(0);
    const again = counted(buildOsvDatabase([record('RUSTSEC-2021-0003', '1.6.1')]));
    await sharedScanner(store, opts)(components.slice(1), again.db);
    await sharedScanner(store, opts)(components, again.db, { countInformational: true });
    expect(again.lookups()).toBeGreaterThan(0);
    expect(store.data.size).toBe(4);
  });

  it('ignores garbage and overwrites it; scans locally when the store is down', async () => {
    const store = memoryStore();
    const db = buildOsvDatabase([record('RUSTSEC-2021-0003', '1.6.1')]);
    const opts = { ttlSeconds: 60, integrityKey: null };
    const good = await sharedScanner(store, opts)(components, db);
    const [k] = [...store.data.keys()];
    store.data.set(k!, JSON.stringify({ v: 1, kind: 'scan', key: 'x', bound: {}, digest: 'sha256:0', payload: '{"matches":[]}' }));
    const c = counted(db);
    expect(await sharedScanner(store, opts)(components, c.db)).toEqual(good);
    expect(c.lookups()).toBeGreaterThan(0);
    expect(store.data.get(k!)).toContain('RUSTSEC-2021-0003');
    store.setDown(true);
    expect(await sharedScanner(store, opts)(components, db)).toEqual(good);
  });
});
