import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleConfig, KeyConfig, ServiceConfig } from '../../../src/config/types.ts';
import { createBundleManager, persistedBundlePath, type BundleManager } from '../../../src/policy/bundles/index.ts';
import { createStatusRegistry } from '../../../src/status/index.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { BundleService } from './http-peer.ts';
import { execFileAsync, nextActivation, opaBuild, tempDir, writeKeyPair } from './support.ts';

const service = (url: string): ServiceConfig => ({ name: 'acme', url, response_header_timeout_seconds: 10, allow_insecure_tls: false });

describe.skipIf(missingOutsideCi('opa'))('bundles from a real OPA bundle service protocol peer', () => {
  let dir: string;
  const peer = new BundleService();
  const managers: BundleManager[] = [];
  const keys: Record<string, KeyConfig> = {};
  const bundles: Record<string, Uint8Array> = {};

  beforeAll(async () => {
    dir = await tempDir('http');
    await peer.start();
    const rsa = await writeKeyPair(dir, 'rsa', 'rsa');
    const ec = await writeKeyPair(dir, 'ec', 'ec');
    keys.rsa = { algorithm: 'RS256', key: rsa.publicPem };
    keys.ec = { algorithm: 'ES256', key: ec.publicPem };
    // opa build --signing-key, RS256 and ES256
    bundles.rs256 = await opaBuild({ fixture: 'swap-a', revision: 'a-rs256', out: join(dir, 'a-rs.tar.gz'), signingKey: rsa.privateKey, signingAlg: 'RS256' });
    bundles.es256 = await opaBuild({ fixture: 'swap-b', revision: 'b-es256', out: join(dir, 'b-es.tar.gz'), signingKey: ec.privateKey, signingAlg: 'ES256' });
    // opa sign on an unpacked bundle directory, with self-tests and YAML data added before signing
    const unsigned = await opaBuild({ fixture: 'swap-a', revision: 'a-opa-sign', out: join(dir, 'a.tar.gz') });
    const sd = join(dir, 'signed-dir');
    await mkdir(join(sd, 'tests'), { recursive: true });
    await mkdir(join(sd, 'swap', 'extra'), { recursive: true });
    await writeFile(join(dir, 'a.tar.gz'), unsigned);
    await execFileAsync('tar', ['xzf', join(dir, 'a.tar.gz'), '-C', sd]);
    await writeFile(join(sd, 'tests', 'answers.json'), await readFile(join(import.meta.dirname, '..', '..', 'fixtures', 'bundles', 'swap-a', 'tests', 'answers.json')));
    await writeFile(join(sd, 'swap', 'extra', 'data.yaml'), 'ratio: 1.0\nteams: [a, b]\nnote: "<&>"\n');
    await execFileAsync(requireTool('opa'), ['sign', '--bundle', '.', '--signing-key', rsa.privateKey, '-o', '.'], { cwd: sd });
    await execFileAsync('tar', ['czf', join(dir, 'a-signed.tar.gz'), '-C', sd, '.']);
    bundles.opaSign = await readFile(join(dir, 'a-signed.tar.gz'));
  });

  afterAll(async () => {
    for (const m of managers) await m.stop();
    await peer.stop();
  });

  const start = async (name: string, bundle: Partial<BundleConfig>, extra: { persistence?: string; status?: ReturnType<typeof createStatusRegistry> } = {}): Promise<BundleManager> => {
    const m = createBundleManager({
      config: {
        bundles: { [name]: { persist: false, size_limit_bytes: 64 * 1024 * 1024, trigger: 'periodic', service: 'acme', ...bundle } },
        services: { acme: service(peer.url) },
        keys,
        ...(extra.persistence !== undefined && { persistence_directory: extra.persistence }),
      },
      ...(extra.status !== undefined && { status: extra.status }),
    });
    managers.push(m);
    await m.start();
    return m;
  };

  it('verifies a bundle signed by `opa build --signing-key` (RS256) and sends If-None-Match on the next poll (304)', async () => {
    peer.set('/bundles/rs', bundles.rs256 as Uint8Array);
    const m = await start('rs', { resource: 'bundles/rs', signing: { keyid: 'rsa' }, polling: { min_delay_seconds: 1, max_delay_seconds: 1 } });
    expect(m.active()?.revision).toBe('a-rs256');
    expect(m.status().rs).toMatchObject({ active_revision: 'a-rs256', signature: 'verified', type: 'snapshot' });
    await m.trigger('rs');
    const seen = peer.requests.filter((r) => r.path === '/bundles/rs');
    expect(seen[0]).toMatchObject({ status: 200, ifNoneMatch: undefined, prefer: 'modes=snapshot,delta' });
    expect(seen.at(-1)).toMatchObject({ status: 304 });
    expect(seen.at(-1)?.ifNoneMatch).toMatch(/^"[0-9a-f]{16}"$/);
    expect(m.status().rs?.last_successful_request).toBeDefined();
  });

  it('verifies a bundle signed by `opa build --signing-key` (ES256), the key id taken from the JWT kid', async () => {
    peer.set('/bundles/es', bundles.es256 as Uint8Array);
    const m = await start('es', { resource: 'bundles/es', signing: {} });
    // opa build writes kid "default" unless told otherwise: no key "default" configured → refused
    expect(m.active()).toBeNull();
    expect(m.status().es?.message).toContain('verification key corresponding to ID default not found');
    const m2 = await start('es2', { resource: 'bundles/es', signing: { keyid: 'ec' } });
    expect(m2.active()?.evaluate('swap/answer', { n: -3 })).toEqual({ defined: true, result: { policy: 'b', allow: true, limit: 2 } });
  });

  it('verifies `opa sign` output with canonical hashes of data.json and data.yaml, and runs the shipped self-tests', async () => {
    peer.set('/bundles/sig', bundles.opaSign as Uint8Array);
    const m = await start('sig', { resource: 'bundles/sig', signing: { keyid: 'rsa' } });
    expect(m.status().sig?.errors).toBeUndefined();
    expect(m.active()?.revision).toBe('a-opa-sign');
    expect(m.active()?.evaluate('swap/extra', undefined)).toEqual({ defined: true, result: { ratio: 1, teams: ['a', 'b'], note: '<&>' } });
  });

  it('refuses the RS256 bundle with the EC key configured, keeping nothing active', async () => {
    const m = await start('wrongkey', { resource: 'bundles/rs', signing: { keyid: 'ec' } });
    expect(m.active()).toBeNull();
    expect(m.status().wrongkey?.errors?.[0]?.code).toBe('BUNDLE_SIGNATURE_INVALID');
  });

  it('long-polls when the service answers application/vnd.openpolicyagent.bundles and activates a change at once', async () => {
    peer.longPolling = true;
    peer.set('/bundles/lp', bundles.rs256 as Uint8Array);
    const m = await start('lp', { resource: 'bundles/lp', signing: { keyid: 'rsa' }, polling: { min_delay_seconds: 60, max_delay_seconds: 120, long_polling_timeout_seconds: 30 } });
    expect(m.active()?.revision).toBe('a-rs256');
    // the poll loop's next request is held by the server (min_delay 60 s would otherwise apply)
    await waitFor(() => peer.held > 0);
    const activated = nextActivation(m, (rev) => rev === 'a-opa-sign');
    peer.set('/bundles/lp', bundles.opaSign as Uint8Array);
    expect(await activated).toBe('a-opa-sign');
    const lp = peer.requests.filter((r) => r.path === '/bundles/lp');
    expect(lp.at(-1)).toMatchObject({ status: 200, prefer: 'modes=snapshot,delta;wait=30' });
    peer.longPolling = false;
  });

  it('after a restart with the service down, activates the persisted bundle and says so in status and health', async () => {
    const persistence = join(dir, 'persist');
    peer.set('/bundles/p', bundles.rs256 as Uint8Array);
    const first = await start('p', { resource: 'bundles/p', signing: { keyid: 'rsa' }, persist: true }, { persistence });
    expect(first.active()?.revision).toBe('a-rs256');
    await waitFor(async () => (await readFile(persistedBundlePath(persistence, 'p')).catch(() => undefined)) !== undefined);
    await first.stop();
    // a crash mid-write leaves a temp file beside the bundle: it must be ignored
    await writeFile(join(persistence, 'bundles', 'p', '.bundle.tar.gz.deadbeef.tmp'), 'half a bundle');
    peer.failWith = 503;
    try {
      const status = createStatusRegistry();
      const second = await start('p', { resource: 'bundles/p', signing: { keyid: 'rsa' }, persist: true }, { persistence, status });
      expect(second.active()?.revision).toBe('a-rs256');
      expect(second.status().p).toMatchObject({ active_revision: 'a-rs256', activated_from: 'persisted', code: 'bundle_error', http_code: 503, message: expect.stringContaining('Service Unavailable') });
      expect(status.bundlesReady()).toBe(true);
      expect(status.snapshot().plugins.bundle?.state).toBe('OK');
      expect(status.snapshot().bundles.p?.active_revision).toBe('a-rs256');
    } finally {
      peer.failWith = undefined;
    }
  });
});

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
