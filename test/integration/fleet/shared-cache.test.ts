/**
 * Fleet mode against real peers: a real redis-server on loopback, several `wasmgate serve` processes, one test
 * registry behind a request-counting proxy, keyless evidence made by @sigstore/mock and attached with real oras.
 * Proves sharing, cross-process single flight, isolation by trust hash, survival of a Redis restart, and of a
 * "Redis" that answers garbage.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_REPO, CLEAN_DEPS, KEYLESS_TRUST, SLSA_REPO, VULNERABLE_DEPS, cyclonedx, orasAttachBundle, pluginState, slsaProvenance, startServe, until, writeOsvDir, type RunningServe } from '../../support/e2e.ts';
import { pushWasmModule, type PushedModule } from '../../support/evidence.ts';
import { startGarbageServer, startRedis, type RunningRedis } from '../../support/redis.ts';
import { freePort, startFaultProxy, startTestRegistry, type FaultProxy, type RunningRegistry } from '../../support/registries.ts';
import { bundleAttestation, createMockSigstore, githubClaims, statement, type MockSigstore, type Signer } from '../../support/verify/mock-sigstore.ts';

const CYCLONEDX = 'https://cyclonedx.org/bom';
const SLSA_V1 = 'https://slsa.dev/provenance/v1';

interface Answer {
  result: boolean;
  metrics?: Record<string, number>;
}

describe('fleet mode: sidecars share decisions through Redis', () => {
  let dir: string;
  let redis: RunningRedis;
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  let ms: MockSigstore;
  let build: Signer;
  let generator: Signer;
  let osv: string;
  const sidecars: RunningServe[] = [];
  const mods: Record<string, PushedModule> = {};

  const publish = async (repo: string, deps: Array<[string, string]>): Promise<PushedModule> => {
    const m = await pushWasmModule({ registry: reg.host, repository: repo });
    const attach = async (signer: Signer, type: string, predicate: unknown): Promise<void> => {
      const ev = await bundleAttestation(ms, signer, statement(m.digest, type, predicate), m.digest);
      await orasAttachBundle(m.ref, ev.payload, type);
    };
    await attach(build, CYCLONEDX, cyclonedx(repo, deps));
    await attach(generator, SLSA_V1, slsaProvenance(m.digest));
    return m;
  };
  /** the module as the sidecars see it: through the counting proxy */
  const viaProxy = (m: PushedModule): string => `${proxy.host}/${m.ref.slice(reg.host.length + 1)}`;

  const sidecar = async (name: string, o: { redisUrl: string; trust?: unknown; decisions?: boolean }): Promise<RunningServe> => {
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    const port = await freePort();
    const config = {
      decision: { paths: ['wasm/sbom'], deadline_ms: 15000 },
      listeners: { tcp: `127.0.0.1:${port}`, unix: { path: join(d, 'wasmgate.sock') } },
      registries: { allow: [proxy.host], insecure: [proxy.host] },
      trust: o.trust ?? { keyless: KEYLESS_TRUST, trusted_roots: [ms.trustedRootPath] },
      vulnerability_db: { path: osv, max_age: null }, // a frozen copy of RustSec records
      persistence_directory: join(d, 'persist'),
      cache: { shared: { url: o.redisUrl, key_prefix: 'fleet-test:', wait_ms: 10000, command_timeout_ms: 1000, max_backoff_ms: 200, decisions: o.decisions ?? true } },
    };
    const file = join(d, 'wasmgate.yaml');
    await writeFile(file, JSON.stringify(config, null, 2));
    const s = await startServe(file, join(d, 'wasmgate.sock'), port);
    sidecars.push(s);
    return s;
  };

  const ask = async (s: RunningServe, ref: string): Promise<Answer> => {
    const res = await fetch(`${s.url}/v1/data/wasm/sbom/allow?metrics`, { method: 'POST', body: JSON.stringify({ input: { module: { ref } } }) });
    expect(res.status).toBe(200);
    return (await res.json()) as Answer;
  };
  const sharedState = (s: RunningServe): Promise<{ state: string; message?: string }> => pluginState(s, 'shared_cache');
  /** wasmgate_shared_cache_results_total of one sidecar, by kind and outcome */
  const metricValues = async (s: RunningServe): Promise<(kind: string, outcome: string) => number> => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    return (kind, outcome) => Number(new RegExp(`^wasmgate_shared_cache_results_total\\{kind="${kind}",outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };
  const manifestFetches = (m: PushedModule): number => proxy.requests.filter((r) => r.includes(`/manifests/${m.digest}`)).length;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-fleet-'));
    [redis, reg] = await Promise.all([startRedis(), startTestRegistry({ referrers: true })]);
    proxy = await startFaultProxy({ upstream: reg.host });
    ms = await createMockSigstore();
    build = await ms.issue(githubClaims(BUILD_REPO, 'build-wasm.yml'));
    generator = await ms.issue(githubClaims(SLSA_REPO, 'generator_generic_slsa3.yml', 'refs/tags/v2.1.0'));
    osv = await writeOsvDir(join(dir, 'osv'));
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) mods[name] = await publish(`fleet-${name}`, name === 'b' ? VULNERABLE_DEPS : CLEAN_DEPS);
    for (const n of ['s1', 's2', 's3']) await sidecar(n, { redisUrl: redis.url });
    await until(async () => (await Promise.all(sidecars.map(sharedState))).every((s) => s.state === 'OK'), 'every sidecar connected to Redis');
  }, 180_000);

  afterAll(async () => {
    await Promise.all(sidecars.map((s) => s.stop()));
    await Promise.all([redis?.stop(), reg?.stop(), proxy?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shares a decision: after one sidecar decided, the others answer without touching the registry', async () => {
    const [s1, s2, s3] = sidecars as [RunningServe, RunningServe, RunningServe];
    proxy.setFault(() => undefined);
    const ref = viaProxy(mods.a!);
    expect((await ask(s1, ref)).result).toBe(true);
    const afterFirst = proxy.requests.length;
    expect(afterFirst).toBeGreaterThan(0);
    for (const s of [s2, s3]) {
      const answer = await ask(s, ref);
      expect(answer.result).toBe(true);
      expect(answer.metrics?.counter_server_query_cache_hit).toBe(1);
    }
    expect(proxy.requests.length).toBe(afterFirst);
  });

  it('with decisions: false, shares verified evidence and scans: a sidecar does no verification and no scan for a module another decided', async () => {
    proxy.setFault(() => undefined);
    const evidenceOnly = await sidecar('evidence-only', { redisUrl: redis.url, decisions: false });
    await until(async () => (await sharedState(evidenceOnly)).state === 'OK', 'the evidence-only sidecar connected');
    const ref = viaProxy(mods.a!); // decided (verified and scanned) by s1 in the test before
    const before = manifestFetches(mods.a!);
    const answer = await ask(evidenceOnly, ref);
    expect(answer.result).toBe(true);
    // not a shared decision: it collected and decided itself...
    expect(answer.metrics?.counter_server_query_cache_hit ?? 0).toBe(0);
    expect(manifestFetches(mods.a!)).toBeGreaterThan(before);
    // ...but both attestations' verification results and the scan came from the fleet: nothing verified or scanned here
    const m = await metricValues(evidenceOnly);
    expect(m('verification', 'hit')).toBe(2);
    expect(m('verification', 'stored')).toBe(0);
    expect(m('scan', 'hit')).toBe(1);
    expect(m('scan', 'stored')).toBe(0);
    // and a module nobody decided yet is verified here, and shared
    expect((await ask(evidenceOnly, viaProxy(mods.e!))).result).toBe(true);
    const after = await metricValues(evidenceOnly);
    expect(after('verification', 'stored')).toBe(2);
    // its SBOM lists the same components as a's: the scan is keyed by content, so that one is shared too
    expect(after('scan', 'hit')).toBe(2);
    expect(after('scan', 'stored')).toBe(0);
    // no decision was shared by it
    expect(await redis.client().keys('fleet-test:decision:*')).toHaveLength(1);
  });

  it('single flight: three sidecars asked at once about a new module fetch its evidence once', async () => {
    // every registry answer takes 150 ms, so the three asks overlap
    proxy.setFault(() => ({ kind: 'delay', ms: 150 }));
    const ref = viaProxy(mods.b!);
    const answers = await Promise.all(sidecars.slice(0, 3).map((s) => ask(s, ref)));
    expect(answers.map((x) => x.result)).toEqual([false, false, false]);
    expect(manifestFetches(mods.b!)).toBe(1);
    proxy.setFault(() => undefined);
  });

  it('isolates by trust hash: a sidecar with other trust decides itself, and differently', async () => {
    // this sidecar does not trust the SLSA generator: the module is denied under its trust
    const other = await sidecar('other-trust', { redisUrl: redis.url, trust: { keyless: [KEYLESS_TRUST[0]], trusted_roots: [ms.trustedRootPath] } });
    await until(async () => (await sharedState(other)).state === 'OK', 'the other sidecar connected');
    proxy.setFault(() => undefined);
    const ref = viaProxy(mods.a!);
    const answer = await ask(other, ref);
    expect(answer.result).toBe(false);
    expect(answer.metrics?.counter_server_query_cache_hit ?? 0).toBe(0);
    expect(manifestFetches(mods.a!)).toBeGreaterThan(0);
    // and its deny does not leak to the others
    expect((await ask(sidecars[1]!, ref)).result).toBe(true);
  });

  it('ignores and overwrites garbage in the cache', async () => {
    const client = redis.client();
    const keys = await client.keys('fleet-test:decision:*');
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) await client.set(k, '{"v":1,"kind":"decision","key":"forged","payload":"{\\"allow\\":true}"}');
    // a fresh sidecar has no local cache: it must not take the garbage, and must write a valid entry back
    const fresh = await sidecar('fresh', { redisUrl: redis.url });
    await until(async () => (await sharedState(fresh)).state === 'OK', 'the fresh sidecar connected');
    expect((await ask(fresh, viaProxy(mods.b!))).result).toBe(false);
    const rewritten = await Promise.all(keys.map((k) => client.get(k)));
    expect(rewritten.some((v) => v?.includes('"payload"') && v.includes('"bound"'))).toBe(true);
  });

  it('keeps deciding while Redis is full (writes refused) or slow (answers after command_timeout_ms)', async () => {
    const [s1, s2] = sidecars as [RunningServe, RunningServe];
    const client = redis.client();
    const errors = async (s: RunningServe, op: string): Promise<number> =>
      Number(new RegExp(`^wasmgate_shared_cache_operations_total\\{op="${op}",result="error"\\} (\\d+)`, 'm').exec(await (await fetch(`${s.url}/metrics`)).text())?.[1] ?? 0);
    // full: every write is refused with OOM
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    await client.config('SET', 'maxmemory', '1');
    try {
      const before = await errors(s1, 'set');
      expect((await ask(s1, viaProxy(mods.f!))).result).toBe(true);
      expect(await errors(s1, 'set')).toBeGreaterThan(before);
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
    // slow: Redis holds every command for 3 s, three times the sidecars' command_timeout_ms
    const before = await errors(s2, 'get');
    await client.call('CLIENT', 'PAUSE', '3000', 'ALL');
    expect((await ask(s2, viaProxy(mods.g!))).result).toBe(true);
    expect(await errors(s2, 'get')).toBeGreaterThan(before);
  });

  it('keeps deciding while Redis is down, reports it, and shares again once Redis is back', async () => {
    const [s1, s2] = sidecars as [RunningServe, RunningServe];
    await redis.stop();
    await until(async () => (await sharedState(s1)).state === 'WARN', 'the sidecar to notice Redis is down');
    expect((await sharedState(s1)).message).toMatch(/deciding locally/);
    // /health?plugins says so; the liveness probe the guide gives excludes the cache, so an outage restarts nothing
    expect((await fetch(`${s1.url}/health?plugins`)).status).toBe(500);
    expect((await fetch(`${s1.url}/health?plugins&exclude-plugin=shared_cache`)).status).toBe(200);
    expect((await ask(s1, viaProxy(mods.c!))).result).toBe(true);
    const metrics = await (await fetch(`${s1.url}/metrics`)).text();
    expect(metrics).toMatch(/wasmgate_shared_cache_operations_total\{op="get",result="unavailable"\} [1-9]/);
    await redis.start();
    await until(async () => (await sharedState(s1)).state === 'OK' && (await sharedState(s2)).state === 'OK', 'the sidecars to reconnect');
    expect((await fetch(`${s1.url}/health?plugins`)).status).toBe(200);
    proxy.setFault(() => undefined);
    expect((await ask(s1, viaProxy(mods.d!))).result).toBe(true);
    const before = manifestFetches(mods.d!);
    const answer = await ask(s2, viaProxy(mods.d!));
    expect(answer.metrics?.counter_server_query_cache_hit).toBe(1);
    expect(manifestFetches(mods.d!)).toBe(before);
  });

  it('decides on its own beside a "Redis" that answers garbage', async () => {
    const garbage = await startGarbageServer();
    try {
      const s = await sidecar('garbage', { redisUrl: garbage.url });
      expect((await ask(s, viaProxy(mods.e!))).result).toBe(true);
      expect((await ask(s, viaProxy(mods.b!))).result).toBe(false);
      expect((await sharedState(s)).state).toBe('WARN');
    } finally {
      await garbage.stop();
    }
  });
});
