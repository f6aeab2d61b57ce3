/**
 * Fleet mode as deploy/fleet/README.md deploys it: a redis-server that speaks TLS only, with the ACL user the guide
 * gives (taken from the guide itself, so the guide is tested), and sidecars that reach it with `rediss://`, the CA,
 * the ACL user and its password from a file or from the environment. Proves sharing works through that user alone,
 * every key stays under the prefix, and a wrong password means deciding locally without the password leaking.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_REPO, CLEAN_DEPS, KEYLESS_TRUST, SLSA_REPO, cyclonedx, orasAttachBundle, pluginState, slsaProvenance, startServe, until, writeOsvDir, type RunningServe } from '../../support/e2e.ts';
import { pushWasmModule, type PushedModule } from '../../support/evidence.ts';
import { startTlsRedis, type RunningTlsRedis } from '../../support/redis.ts';
import { freePort, startTestRegistry, type RunningRegistry } from '../../support/registries.ts';
import { bundleAttestation, createMockSigstore, githubClaims, statement, type MockSigstore } from '../../support/verify/mock-sigstore.ts';

const GUIDE = fileURLToPath(new URL('../../../deploy/fleet/README.md', import.meta.url));

describe('fleet mode over TLS with the ACL user of the deployment guide', () => {
  let dir: string;
  let redis: RunningTlsRedis;
  let reg: RunningRegistry;
  let ms: MockSigstore;
  let osv: string;
  let mod: PushedModule;
  const password = randomBytes(12).toString('hex');
  const sidecars: RunningServe[] = [];

  const sidecar = async (name: string, auth: Record<string, string>): Promise<RunningServe> => {
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    const port = await freePort();
    const config = {
      decision: { paths: ['wasm/sbom'], deadline_ms: 15000 },
      listeners: { tcp: `127.0.0.1:${port}`, unix: { path: join(d, 'wasmgate.sock') } },
      registries: { allow: [reg.host], insecure: [reg.host] },
      trust: { keyless: KEYLESS_TRUST, trusted_roots: [ms.trustedRootPath] },
      vulnerability_db: { path: osv, max_age: null },
      persistence_directory: join(d, 'persist'),
      cache: { shared: { url: redis.url, username: 'wasmgate-fleet', ...auth, tls: { ca_cert: redis.caCert }, key_prefix: 'wasmgate:', wait_ms: 10000, command_timeout_ms: 1000, max_backoff_ms: 200 } },
    };
    // YAML, so that `${…}` is substituted from the environment
    await writeFile(join(d, 'wasmgate.yaml'), JSON.stringify(config, null, 2).replace('"password": "$ENV"', '"password": "${WASMGATE_TEST_REDIS_PASSWORD}"'));
    const s = await startServe(join(d, 'wasmgate.yaml'), join(d, 'wasmgate.sock'), port);
    sidecars.push(s);
    return s;
  };
  const sharedState = (s: RunningServe): Promise<{ state: string; message?: string }> => pluginState(s, 'shared_cache');
  const ask = async (s: RunningServe): Promise<{ result: boolean; metrics?: Record<string, number> }> => {
    const res = await fetch(`${s.url}/v1/data/wasm/sbom/allow?metrics`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: mod.ref } } }) });
    expect(res.status).toBe(200);
    return (await res.json()) as { result: boolean; metrics?: Record<string, number> };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-fleet-tls-'));
    // the guide's ACL line, with a real password instead of CHANGE-ME
    const acl = (await readFile(GUIDE, 'utf8')).split('\n').find((l) => l.startsWith('user wasmgate-fleet '));
    expect(acl).toBeDefined();
    expect(acl).toContain('>CHANGE-ME');
    await mkdir(join(dir, 'redis'));
    [redis, reg] = await Promise.all([startTlsRedis(join(dir, 'redis'), [acl!.replace('>CHANGE-ME', `>${password}`)]), startTestRegistry({ referrers: true })]);
    ms = await createMockSigstore();
    const build = await ms.issue(githubClaims(BUILD_REPO, 'build-wasm.yml'));
    const generator = await ms.issue(githubClaims(SLSA_REPO, 'generator_generic_slsa3.yml', 'refs/tags/v2.1.0'));
    osv = await writeOsvDir(join(dir, 'osv'));
    mod = await pushWasmModule({ registry: reg.host, repository: 'fleet-tls' });
    for (const [signer, type, predicate] of [[build, 'https://cyclonedx.org/bom', cyclonedx('fleet-tls', CLEAN_DEPS)], [generator, 'https://slsa.dev/provenance/v1', slsaProvenance(mod.digest)]] as const) {
      const ev = await bundleAttestation(ms, signer, statement(mod.digest, type, predicate), mod.digest);
      await orasAttachBundle(mod.ref, ev.payload, type);
    }
  }, 180_000);

  afterAll(async () => {
    delete process.env.WASMGATE_TEST_REDIS_PASSWORD;
    await Promise.all(sidecars.map((s) => s.stop()));
    await Promise.all([redis?.stop(), reg?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shares through the ACL user, password from a file or from the environment, every key under the prefix', async () => {
    await writeFile(join(dir, 'redis-password'), `${password}\n`);
    const fromFile = await sidecar('from-file', { password_file: join(dir, 'redis-password') });
    process.env.WASMGATE_TEST_REDIS_PASSWORD = password;
    const fromEnv = await sidecar('from-env', { password: '$ENV' });
    await until(async () => (await sharedState(fromFile)).state === 'OK' && (await sharedState(fromEnv)).state === 'OK', 'both sidecars connected over TLS');
    expect((await ask(fromFile)).result).toBe(true);
    const second = await ask(fromEnv);
    expect(second.result).toBe(true);
    expect(second.metrics?.counter_server_query_cache_hit).toBe(1);
    const keys = await redis.admin().keys('*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith('wasmgate:'))).toBe(true);
    // the single-flight lock was released (the guide's ACL allows the compare-and-delete), not left to expire
    expect(keys.filter((k) => k.startsWith('wasmgate:lock:'))).toEqual([]);
    // no command was refused
    const metrics = await (await fetch(`${fromFile.url}/metrics`)).text();
    expect(metrics).not.toMatch(/wasmgate_shared_cache_operations_total\{op="[a-z]+",result="error"\}/);
  });

  it('with a wrong password decides locally, says so, and never shows the password', async () => {
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    await writeFile(join(dir, 'wrong-password'), wrong);
    const s = await sidecar('wrong', { password_file: join(dir, 'wrong-password') });
    await until(async () => (await sharedState(s)).state === 'WARN', 'the sidecar to report the refused login');
    expect((await ask(s)).result).toBe(true);
    const status = await (await fetch(`${s.url}/v1/status`)).text();
    expect(status).toMatch(/deciding locally/);
    expect(status).not.toContain(wrong);
    expect(s.output()).not.toContain(wrong);
  });
});
