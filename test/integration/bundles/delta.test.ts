import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleConfig, ServiceConfig } from '../../../src/config/types.ts';
import { createBundleManager, packTarGz, persistedBundlePath, prepareBundle, type BundleManager, type PreparedBundle } from '../../../src/policy/bundles/index.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import { BundleService } from './http-peer.ts';
import { nextActivation, opaBuild, tempDir, writeKeyPair } from './support.ts';

const service = (url: string): ServiceConfig => ({ name: 'acme', url, response_header_timeout_seconds: 10, allow_insecure_tls: false });
const enc = new TextEncoder();

/** A delta bundle as OPA defines it: patch.json (+ optional .manifest, + any extra files to test refusals). */
function delta(ops: unknown[], manifest?: Record<string, unknown>, extra: Record<string, string> = {}): Uint8Array {
  const files = new Map<string, Uint8Array>([['patch.json', enc.encode(JSON.stringify({ data: ops }))]]);
  if (manifest !== undefined) files.set('.manifest', enc.encode(JSON.stringify(manifest)));
  for (const [n, t] of Object.entries(extra)) files.set(n, enc.encode(t));
  return packTarGz(files);
}

describe.skipIf(missingOutsideCi('opa'))('delta bundles (patch.json) from the HTTP bundle service', () => {
  let dir: string;
  const peer = new BundleService();
  const managers: BundleManager[] = [];
  let snapshot: Uint8Array;
  let plain: Uint8Array;

  beforeAll(async () => {
    dir = await tempDir('delta');
    await peer.start();
    snapshot = await opaBuild({ fixture: 'swap-a', revision: 'a1', out: join(dir, 'a1.tar.gz'), selftests: true });
    plain = await opaBuild({ fixture: 'swap-a', revision: 'a-plain', out: join(dir, 'a-plain.tar.gz') });
  });

  afterAll(async () => {
    for (const m of managers) await m.stop();
    await peer.stop();
  });

  const start = async (name: string, bundle: Partial<BundleConfig> = {}, persistence?: string): Promise<BundleManager> => {
    const m = createBundleManager({
      config: {
        bundles: { [name]: { persist: false, size_limit_bytes: 64 * 1024 * 1024, trigger: 'manual', service: 'acme', resource: `bundles/${name}`, ...bundle } },
        services: { acme: service(peer.url) },
        ...(persistence !== undefined && { persistence_directory: persistence }),
      },
    });
    managers.push(m);
    await m.start();
    return m;
  };

  it('applies a delta to the active data, reports type delta, and leaves decisions on the old bundle unchanged', async () => {
    peer.set('/bundles/d', snapshot);
    const m = await start('d', { persist: true }, join(dir, 'persist'));
    const before = m.active();
    expect(before?.revision).toBe('a1');
    expect(m.status().d).toMatchObject({ type: 'snapshot', active_revision: 'a1' });

    peer.set('/bundles/d', delta([
      { op: 'upsert', path: '/swap/config/limit', value: 7 },
      { op: 'upsert', path: '/swap/config/teams/ops', value: ['x'] },
      { op: 'replace', path: '/swap/config/a/list/0', value: 'first' },
      { op: 'remove', path: '/swap/config/B' },
    ], { revision: 'a1-d1', roots: ['swap'] }), { delta: true });
    const next = nextActivation(m, (r) => r === 'a1-d1');
    await m.trigger('d');
    expect(await next).toBe('a1-d1');
    const after = m.active();
    expect(after?.evaluate('swap/answer', { n: 1 })).toEqual({ defined: true, result: { policy: 'a', allow: true, limit: 7 } });
    expect(after?.evaluate('swap/config/teams', {})).toEqual({ defined: true, result: { ops: ['x'] } });
    expect(after?.evaluate('swap/config/a/list', {})).toEqual({ defined: true, result: ['first', 2, 'x'] });
    expect(after?.evaluate('swap/config/B', {})).toEqual({ defined: false });
    // the snapshot's compiled policy, new data; the old object still answers with the old data
    expect(after?.entrypoints).toEqual(before?.entrypoints);
    expect(before?.evaluate('swap/answer', { n: 1 })).toEqual({ defined: true, result: { policy: 'a', allow: true, limit: 1.5 } });
    expect(m.status().d).toMatchObject({ type: 'delta', active_revision: 'a1-d1' });
    expect(m.status().d?.errors).toBeUndefined();
    const seen = peer.requests.filter((r) => r.path === '/bundles/d');
    expect(seen.at(-1)).toMatchObject({ status: 200, prefer: 'modes=snapshot,delta' });
    // deltas are not persisted: the restart point stays the snapshot
    expect(Buffer.from(await readFile(persistedBundlePath(join(dir, 'persist'), 'd'))).equals(Buffer.from(snapshot))).toBe(true);

    // a later snapshot replaces the delta's result entirely
    peer.set('/bundles/d', snapshot);
    await m.trigger('d');
    expect(m.active()?.evaluate('swap/answer', { n: 1 })).toEqual({ defined: true, result: { policy: 'a', allow: true, limit: 1.5 } });
    expect(m.status().d).toMatchObject({ type: 'snapshot', active_revision: 'a1' });
  });

  it('refuses a delta that breaks a self-test; the active bundle stays', async () => {
    peer.set('/bundles/st', snapshot);
    const m = await start('st');
    peer.set('/bundles/st', delta([{ op: 'remove', path: '/swap/config' }], { revision: 'broken', roots: ['swap'] }), { delta: true });
    await m.trigger('st');
    expect(m.active()?.revision).toBe('a1');
    expect(m.active()?.evaluate('swap/answer', { n: 1 })).toMatchObject({ defined: true, result: { limit: 1.5 } });
    expect(m.status().st).toMatchObject({ type: 'snapshot', active_revision: 'a1', code: 'bundle_error' });
    expect(m.status().st?.errors?.[0]?.code).toBe('BUNDLE_SELFTEST_FAILED');
  });

  it('wipes all data on an empty patch list', async () => {
    peer.set('/bundles/wipe', plain);
    const m = await start('wipe');
    expect(m.active()?.evaluate('swap/config/limit', {})).toEqual({ defined: true, result: 1.5 });
    peer.set('/bundles/wipe', delta([], { revision: 'wiped', roots: ['swap'] }), { delta: true });
    await m.trigger('wipe');
    expect(m.active()?.revision).toBe('wiped');
    expect(m.active()?.data).toEqual({});
    expect(m.active()?.evaluate('swap/answer', { n: 1 })).toEqual({ defined: false });
    expect(m.active()?.evaluate('swap/allow', { n: 1 })).toEqual({ defined: true, result: true });
  });

  describe('refusals (prepareBundle against an active snapshot)', () => {
    let active: PreparedBundle;
    beforeAll(async () => {
      active = await prepareBundle(snapshot, { name: 'r' });
    });
    const refuse = async (bytes: Uint8Array, code: string, message: RegExp, extra: Partial<Parameters<typeof prepareBundle>[1]> = {}): Promise<void> => {
      const p = prepareBundle(bytes, { name: 'r', active, ...extra });
      await expect(p).rejects.toMatchObject({ code });
      await expect(p).rejects.toThrow(message);
    };

    it('refuses a delta carrying rego, wasm or data files', async () => {
      await refuse(delta([], undefined, { 'swap/policy.rego': 'package swap' }), 'BUNDLE_DELTA_INVALID', /swap\/policy\.rego/);
      await refuse(delta([], undefined, { 'policy.wasm': '\0asm' }), 'BUNDLE_DELTA_INVALID', /policy\.wasm/);
      await refuse(delta([], undefined, { 'swap/data.json': '{}' }), 'BUNDLE_DELTA_INVALID', /data\.json/);
    });

    it('refuses a signed delta, and any delta when signing is required', async () => {
      await refuse(delta([], undefined, { '.signatures.json': '{"signatures":["x.y.z"]}' }), 'BUNDLE_DELTA_INVALID', /cannot be signed/);
      const ec = await writeKeyPair(dir, 'ec', 'ec');
      await refuse(delta([{ op: 'upsert', path: '/swap/x', value: 1 }]), 'BUNDLE_DELTA_INVALID', /requires signed bundles/, {
        verification: { keys: { ec: { algorithm: 'ES256', key: ec.publicPem } }, keyid: 'ec' },
      });
    });

    it('refuses a delta whose manifest roots or wasm differ from the snapshot', async () => {
      await refuse(delta([], { roots: ['other'] }), 'BUNDLE_DELTA_INVALID', /roots/);
      await refuse(delta([], { revision: 'x' }), 'BUNDLE_DELTA_INVALID', /roots/); // absent roots mean [""], not ["swap"]
      await refuse(delta([], { roots: ['swap'], wasm: [{ entrypoint: 'swap/other', module: '/policy.wasm' }] }), 'BUNDLE_DELTA_INVALID', /wasm/);
      const ok = await prepareBundle(delta([{ op: 'upsert', path: '/swap/n', value: 1 }], { roots: ['swap'], wasm: active.bundle.manifest.wasm, revision: 'same' }), { name: 'r', active });
      expect(ok).toMatchObject({ type: 'delta', bundle: { revision: 'same' } });
    });

    it('refuses patches outside the roots, on missing targets, and without an active snapshot', async () => {
      await refuse(delta([{ op: 'upsert', path: '/elsewhere/x', value: 1 }]), 'BUNDLE_DELTA_INVALID', /outside the bundle roots/);
      await refuse(delta([{ op: 'replace', path: '/swap/nothing', value: 1 }]), 'BUNDLE_DELTA_INVALID', /does not exist/);
      await refuse(delta([{ op: 'remove', path: '/swap/config/nothing' }]), 'BUNDLE_DELTA_INVALID', /does not exist/);
      await refuse(delta([{ op: 'move', path: '/swap/x' }]), 'BUNDLE_DELTA_INVALID', /upsert, remove or replace/);
      await refuse(delta([{ op: 'upsert', path: '/swap/x', value: 1 }]), 'BUNDLE_DELTA_INVALID', /no snapshot is active/, { active: null });
    });
  });
});
