/**
 * Issue 13 item 5: `trust.tuf` refreshes the public-good trusted root over TUF from a mirror (here a TUF
 * repository on loopback), follows root rotations, keeps the shipped copy as the offline fallback, never
 * swaps to a root that fails TUF verification (tampered metadata or target) or wasmgate's own trusted-root
 * checks, and reports the TUF root version in /v1/status.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { packagePath } from '../../../src/common/paths.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { createDecisionCache } from '../../../src/decide/cache.ts';
import { createPipelineWiring } from '../../../src/wiring/pipeline-wiring.ts';
import { startService, type RunningService } from '../../../src/server/service.ts';
import { createMetrics } from '../../../src/status/metrics.ts';
import { createStatusRegistry } from '../../../src/status/registry.ts';
import { loadTrustPolicy } from '../../../src/verify/trust/load.ts';
import { DEFAULT_MIRROR_URL as SIGSTORE_TUF_MIRROR } from '@sigstore/tuf';
import { DEFAULT_MIRROR_URL, fetchTrustedRootOverTuf, TufRootRefresher, tufSettingsFromConfig, type TufSettings, type TufTrustedRoot } from '../../../src/verify/trust/tuf.ts';
import { startTufRepo, type TufRepo } from '../../support/tuf-repo.ts';

const DEMO_ROOT = await readFile(packagePath('demo', 'trusted_root.json'), 'utf8');
const SHIPPED_PUBLIC_GOOD = await readFile(packagePath('src', 'verify', 'roots', 'public-good.trusted_root.json'), 'utf8');
const ISSUER = 'https://token.actions.githubusercontent.com';
const KEYLESS = [{ subject: 'https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main', issuer: ISSUER }];

/** The demo root's CA key: present exactly when the demo root is the one in use. */
function caKeys(root: { certificateAuthorities: Array<{ certChain?: { certificates: Array<{ rawBytes: Buffer }> } }> }): string[] {
  return root.certificateAuthorities.flatMap((ca) => ca.certChain?.certificates.map((c) => Buffer.from(c.rawBytes).toString('base64')) ?? []);
}
const demoCa = caKeys(loadTrustPolicy({ trusted_roots: [join(packagePath('demo'), 'trusted_root.json')] }).trustedRoot)[0] as string;

describe('trust.tuf: the public-good trusted root refreshed over TUF', () => {
  let repo: TufRepo;
  let dir: string;
  let settings: TufSettings;

  beforeEach(async () => {
    repo = await startTufRepo();
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-tuf-'));
    await writeFile(join(dir, 'root.json'), repo.initialRoot);
    settings = tufSettingsFromConfig({ tuf: { mirror: repo.url, cache_dir: 'cache', root: 'root.json', timeout_ms: 2000 } }, dir) as TufSettings;
  });
  afterEach(async () => {
    await repo.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function refresher(): { r: TufRootRefresher; swapped: TufTrustedRoot[] } {
    const swapped: TufTrustedRoot[] = [];
    return { r: new TufRootRefresher({ settings, logger: createSilentLogger(), onRoot: (root) => swapped.push(root) }), swapped };
  }

  it('validates the settings: unknown keys, a custom mirror without its initial root, a bad schedule, no public-good', () => {
    expect(() => tufSettingsFromConfig({ tuf: { cache_dir: 'c', color: 1 } }, dir)).toThrow(/trust\.tuf\.color: unknown key/);
    expect(() => tufSettingsFromConfig({ tuf: { mirror: 'http://127.0.0.1:1', cache_dir: 'c' } }, dir)).toThrow(/trust\.tuf\.root: required for the mirror/);
    expect(() => tufSettingsFromConfig({ tuf: { cache_dir: 'c', schedule: 'often' } }, dir)).toThrow(/trust\.tuf\.schedule/);
    expect(() => tufSettingsFromConfig({ tuf: {} }, dir)).toThrow(/trust\.tuf\.cache_dir: required/);
    expect(DEFAULT_MIRROR_URL).toBe(SIGSTORE_TUF_MIRROR);
    expect(tufSettingsFromConfig({ tuf: { cache_dir: 'c' } }, dir)).toMatchObject({ mirror: 'https://tuf-repo-cdn.sigstore.dev', cacheDir: join(dir, 'c'), schedule: '0 */6 * * *' });
    expect(() => loadTrustPolicy({ trusted_roots: [join(packagePath('demo'), 'trusted_root.json')], keyless: KEYLESS, tuf: { cache_dir: 'c' } }, { baseDir: dir }))
      .toThrow(/trust\.tuf: refreshes the public-good trusted root, but trust\.trusted_roots does not list "public-good"/);
  });

  it('fetches trusted_root.json verified from the initial TUF root, and follows a root key rotation', async () => {
    repo.publish({ 'trusted_root.json': DEMO_ROOT });
    const first = await fetchTrustedRootOverTuf(settings);
    expect(first.tufRootVersion).toBe(1);
    expect(caKeys(first.root)).toContain(demoCa);

    repo.rotateRoot();
    repo.rotateRoot();
    repo.publish({ 'trusted_root.json': SHIPPED_PUBLIC_GOOD });
    const { r, swapped } = refresher();
    expect(await r.refresh()).toBe(true);
    expect(r.status()).toMatchObject({ source: 'tuf', tuf_root_version: 3, last_error: null });
    expect(swapped).toHaveLength(1);
    expect(caKeys(swapped[0]!.root)).not.toContain(demoCa);
    expect(repo.requests).toContain('/3.root.json');
    // nothing new: no swap
    expect(await r.refresh()).toBe(false);
    expect(swapped).toHaveLength(1);
  });

  it('keeps the root in use when the targets metadata is tampered with (signature no longer verifies)', async () => {
    repo.publish({ 'trusted_root.json': DEMO_ROOT });
    const { r, swapped } = refresher();
    expect(await r.refresh()).toBe(true);
    const good = r.status();

    repo.publish({ 'trusted_root.json': SHIPPED_PUBLIC_GOOD });
    // a mirror that swaps the target's hash for its own file's, without the targets key
    const evil = `${DEMO_ROOT} `;
    repo.tamper('/targets/trusted_root.json', () => Buffer.from(evil));
    repo.tamper('/targets.json', (b) => {
      const doc = JSON.parse(b.toString()) as { signed: { targets: Record<string, { length: number; hashes: { sha256: string } }> } };
      doc.signed.targets['trusted_root.json'] = { length: evil.length, hashes: { sha256: createSha(evil) } };
      return Buffer.from(JSON.stringify(doc));
    });
    expect(await r.refresh()).toBe(false);
    expect(swapped).toHaveLength(1);
    expect(r.status()).toMatchObject({ source: 'tuf', tuf_root_version: good.tuf_root_version, trusted_root_sha256: good.trusted_root_sha256 });
    expect(r.status().last_error).toMatch(/TUF refresh from http:\/\/127\.0\.0\.1:\d+ failed: .*targets was signed by 0\/1 keys/);
  });

  it('keeps the root in use when the target file is tampered with (hash mismatch)', async () => {
    repo.publish({ 'trusted_root.json': DEMO_ROOT });
    const { r, swapped } = refresher();
    await r.refresh();
    repo.publish({ 'trusted_root.json': SHIPPED_PUBLIC_GOOD });
    repo.tamper('/targets/trusted_root.json', (b) => Buffer.concat([b, Buffer.from(' ')]));
    expect(await r.refresh()).toBe(false);
    expect(swapped).toHaveLength(1);
    expect(r.status().last_error).toMatch(/TUF refresh .* failed/);
  });

  it('refuses a rotated root that the previous root\'s keys did not sign', async () => {
    repo.publish({ 'trusted_root.json': DEMO_ROOT });
    const { r, swapped } = refresher();
    await r.refresh();
    repo.rotateRoot();
    // re-sign version 2 with the new key only: a mirror inventing its own root
    repo.tamper('/2.root.json', (b) => {
      const doc = JSON.parse(b.toString()) as { signatures: Array<{ keyid: string }>; signed: { roles: { root: { keyids: string[] } } } };
      doc.signatures = doc.signatures.filter((s) => doc.signed.roles.root.keyids.includes(s.keyid));
      return Buffer.from(JSON.stringify(doc));
    });
    repo.publish({ 'trusted_root.json': SHIPPED_PUBLIC_GOOD });
    expect(await r.refresh()).toBe(false);
    expect(swapped).toHaveLength(1);
    expect(r.status()).toMatchObject({ tuf_root_version: 1 });
  });

  it('refuses a TUF-verified target that fails wasmgate\'s trusted-root checks (an authority without a start)', async () => {
    const doc = JSON.parse(DEMO_ROOT) as { certificateAuthorities: Array<{ validFor: { start?: string } }> };
    delete doc.certificateAuthorities[0]!.validFor.start;
    repo.publish({ 'trusted_root.json': JSON.stringify(doc) });
    const { r, swapped } = refresher();
    expect(await r.refresh()).toBe(false);
    expect(swapped).toHaveLength(0);
    expect(r.status()).toMatchObject({ source: 'shipped', tuf_root_version: null });
    expect(r.status().last_error).toMatch(/TRUSTED_ROOT_INVALID|validFor\.start/);
  });

  it('serves with the shipped copy while the mirror is unreachable, then swaps (cached decisions dropped) and reports the TUF root version in /v1/status', async () => {
    await repo.stop(); // its port is now closed: an unreachable mirror
    const down = repo;
    const yaml = (mirror: string): string => `
trust:
  trusted_roots: [public-good]
  keyless: ${JSON.stringify(KEYLESS)}
  tuf: { mirror: "${mirror}", cache_dir: cache, root: root.json, schedule: "* * * * * *", timeout_ms: 500 }
persistence_directory: state
`;
    // offline: the shipped root is used, the error is reported, the service is up
    const offline = parseConfig(yaml(down.url), { overrides: { addr: '127.0.0.1:0' } });
    const status = createStatusRegistry();
    const wiring = await createPipelineWiring({ baseDir: dir })({
      config: offline, metrics: createMetrics({ defaultMetrics: false }), status, logger: createSilentLogger(), decisionCache: createDecisionCache({ ttlMs: 0, maxEntries: 0 }),
    });
    try {
      await until(() => status.snapshot().plugins.trusted_root?.details?.last_error != null);
      expect(status.snapshot().plugins.trusted_root).toMatchObject({ state: 'OK', details: { source: 'shipped', tuf_root_version: null } });
    } finally {
      await wiring.stop?.();
    }

    // online: a fresh repository with a rotation behind it
    repo = await startTufRepo();
    await writeFile(join(dir, 'root.json'), repo.initialRoot);
    await rm(join(dir, 'cache'), { recursive: true, force: true });
    repo.publish({ 'trusted_root.json': SHIPPED_PUBLIC_GOOD });
    repo.rotateRoot();
    const config = parseConfig(yaml(repo.url), { overrides: { addr: '127.0.0.1:0' } });
    let service: RunningService | undefined;
    let invalidations = 0;
    try {
      service = await startService({
        config, logger: createSilentLogger(), env: {},
        wire: async (ctx) => {
          const w = await createPipelineWiring({ baseDir: dir })(ctx);
          w.onInvalidate?.(() => { invalidations += 1; });
          return w;
        },
      });
      const tcp = service.listeners.find((l) => l.target.kind === 'tcp');
      const statusOf = async (): Promise<{ tuf_root_version?: number; source?: string; trusted_root_sha256?: string }> => {
        const body = await (await fetch(`http://${tcp?.address}/v1/status`)).json() as { result: { plugins: Record<string, { details?: Record<string, unknown> }> } };
        return (body.result.plugins.trusted_root?.details ?? {}) as { tuf_root_version?: number };
      };
      await until(async () => (await statusOf()).tuf_root_version === 2);
      expect(await statusOf()).toMatchObject({ source: 'tuf', mirror: repo.url, tuf_root_version: 2, trusted_root_sha256: createSha(SHIPPED_PUBLIC_GOOD) });
      const before = invalidations;
      expect(before).toBeGreaterThanOrEqual(1);

      // the next rotation arrives on the schedule; a new target replaces the root in use
      repo.rotateRoot();
      repo.publish({ 'trusted_root.json': SHIPPED_PUBLIC_GOOD.replace('"mediaType"', '"mediaType" ') });
      await until(async () => (await statusOf()).tuf_root_version === 3);
      expect(invalidations).toBeGreaterThan(before);
    } finally {
      await service?.stop();
    }
  });
});

function createSha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
