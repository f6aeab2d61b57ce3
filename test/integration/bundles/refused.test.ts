import { symlink, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTar } from '../../../src/policy/engine/archive.ts';
import { createBundleManager, packTarGz, signBundleFiles, type BundleManager, type BundleSource, type FetchResult } from '../../../src/policy/bundles/index.ts';
import type { BundleConfig } from '../../../src/config/types.ts';
import { createMetrics } from '../../../src/status/index.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import { tar } from '../policy/support.ts';
import { execFileAsync, opaBuild, tempDir, writeKeyPair, type KeyFiles } from './support.ts';

/** A source whose next answer the test sets. */
class ScriptedSource implements BundleSource {
  readonly kind = 'http' as const;
  readonly description = 'scripted';
  bytes: Uint8Array = new Uint8Array();
  #n = 0;
  async fetch(): Promise<FetchResult> {
    return { kind: 'modified', bytes: this.bytes, etag: `e${++this.#n}` };
  }
}

const manual = (extra: Partial<BundleConfig> = {}): BundleConfig => ({ persist: false, size_limit_bytes: 4 * 1024 * 1024, trigger: 'manual', ...extra });

describe.skipIf(missingOutsideCi('opa'))('BundleManager refuses bad bundles and keeps the active one', () => {
  let dir: string;
  let good: Uint8Array;
  let keys: KeyFiles;
  let other: KeyFiles;
  const source = new ScriptedSource();
  const metrics = createMetrics({ defaultMetrics: false });
  let manager: BundleManager;

  const files = (bytes: Uint8Array): Map<string, Uint8Array> => parseTar(gunzipSync(bytes));
  const signed = async (bytes: Uint8Array, key: string): Promise<Map<string, Uint8Array>> => {
    const f = files(bytes);
    f.set('.signatures.json', new TextEncoder().encode(await signBundleFiles(f, { key, algorithm: 'ES256' })));
    return f;
  };

  beforeAll(async () => {
    dir = await tempDir('refused');
    keys = await writeKeyPair(dir, 'ec', 'k');
    other = await writeKeyPair(dir, 'ec', 'other');
    good = await opaBuild({ fixture: 'swap-a', revision: 'good', out: join(dir, 'good.tar.gz'), selftests: true });
    source.bytes = packTarGz(await signed(good, await (await import('node:fs/promises')).readFile(keys.privateKey, 'utf8')));
    manager = createBundleManager({
      config: {
        bundles: { swap: manual({ signing: { keyid: 'k' } }) },
        keys: { k: { algorithm: 'ES256', key: keys.publicPem } },
      },
      sources: { swap: source },
      metrics,
    });
    await manager.start();
    expect(manager.active()?.revision).toBe('good');
  });

  afterAll(async () => {
    await manager?.stop();
  });

  const refuse = async (bytes: Uint8Array, code: string): Promise<void> => {
    source.bytes = bytes;
    await manager.trigger('swap');
    expect(manager.active()?.revision).toBe('good');
    expect(manager.active()?.evaluate('swap/answer', { n: 1 })).toEqual({ defined: true, result: { policy: 'a', allow: true, limit: 1.5 } });
    const status = manager.status().swap;
    expect(status?.code).toBe('bundle_error');
    expect(status?.errors?.[0]?.code).toBe(code);
    expect(status?.active_revision).toBe('good');
  };

  const privateKey = async (k: KeyFiles): Promise<string> => (await import('node:fs/promises')).readFile(k.privateKey, 'utf8');

  it('refuses corrupt gzip', async () => {
    const bad = Uint8Array.from(source.bytes);
    for (let i = 20; i < bad.length - 20; i += 7) bad[i] = (bad[i] as number) ^ 0xff;
    await refuse(bad, 'BUNDLE_NOT_GZIP');
  });

  it('refuses a tar with ../ paths', async () => {
    await refuse(gzipSync(tar([{ name: '../evil.rego', body: 'package x' }])), 'BUNDLE_PATH_UNSAFE');
  });

  it('refuses a tar with a symlink (made by the real tar tool)', async () => {
    const d = join(dir, 'link');
    await mkdir(d, { recursive: true });
    await writeFile(join(d, '.manifest'), '{}');
    await symlink('/etc/passwd', join(d, 'data.json'));
    await execFileAsync('tar', ['czf', join(dir, 'link.tar.gz'), '-C', d, '.manifest', 'data.json']);
    await refuse(new Uint8Array((await import('node:fs/promises').then((m) => m.readFile(join(dir, 'link.tar.gz'))))), 'BUNDLE_LINK_FORBIDDEN');
  });

  it('refuses a decompression bomb (over size_limit_bytes once unpacked)', async () => {
    const bomb = gzipSync(tar([{ name: 'data.json', body: new Uint8Array(16 * 1024 * 1024) }]), { level: 9 });
    expect(bomb.byteLength).toBeLessThan(100_000);
    await refuse(bomb, 'BUNDLE_TOO_LARGE');
  });

  it('refuses an unsigned bundle when verification is configured', async () => {
    await refuse(good, 'BUNDLE_SIGNATURE_MISSING');
  });

  it('refuses a bundle signed with another key', async () => {
    await refuse(packTarGz(await signed(good, await privateKey(other))), 'BUNDLE_SIGNATURE_INVALID');
  });

  it('refuses a bundle whose data was changed after signing', async () => {
    const f = await signed(good, await privateKey(keys));
    f.set('data.json', new TextEncoder().encode('{"swap":{"config":{"limit":1000}}}'));
    await refuse(packTarGz(f), 'BUNDLE_SIGNATURE_INVALID');
    expect(manager.status().swap?.message).toContain('data.json: digest mismatch');
  });

  it('refuses a bundle with a file added after signing', async () => {
    const f = await signed(good, await privateKey(keys));
    f.set('extra.rego', new TextEncoder().encode('package swap'));
    await refuse(packTarGz(f), 'BUNDLE_SIGNATURE_INVALID');
  });

  it('refuses wasm that needs a builtin the engine cannot run (http.send)', async () => {
    const b = await opaBuild({ fixture: 'needs-http', revision: 'http', out: join(dir, 'http.tar.gz') });
    await refuse(packTarGz(await signed(b, await privateKey(keys))), 'BUILTIN_UNAVAILABLE');
  });

  it('refuses a bundle whose self-test fails', async () => {
    // policy b with a's self-tests: the cases expect policy "a"
    const b = await opaBuild({ fixture: 'swap-b', revision: 'b-with-a-tests', out: join(dir, 'b.tar.gz') });
    const f = files(b);
    f.set('tests/answers.json', files(good).get('tests/answers.json') as Uint8Array);
    f.set('.signatures.json', new TextEncoder().encode(await signBundleFiles(f, { key: await privateKey(keys), algorithm: 'ES256' })));
    await refuse(packTarGz(f), 'BUNDLE_SELFTEST_FAILED');
    expect(manager.status().swap?.message).toContain('a allows positive n');
  });

  it('activates a good, signed bundle afterwards and clears the error', async () => {
    const b = await opaBuild({ fixture: 'swap-b', revision: 'b', out: join(dir, 'b2.tar.gz'), selftests: true });
    source.bytes = packTarGz(await signed(b, await privateKey(keys)));
    await manager.trigger('swap');
    expect(manager.active()?.revision).toBe('b');
    expect(manager.status().swap?.code).toBeUndefined();
    expect(manager.status().swap?.signature).toBe('verified');
  });

  it('counts loads and failures under OPA\'s Prometheus names', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toContain('bundle_loaded_counter{name="swap"} 2');
    expect(text).toMatch(/bundle_failed_load_counter\{name="swap",code="BUNDLE_NOT_GZIP",message="[^"]+"\} 1/);
    expect(text).toContain('bundle_failed_load_counter{name="swap",code="BUNDLE_SELFTEST_FAILED",message="bundle swap: 2 of 2 self-test case(s) failed');
    expect(text).toMatch(/last_success_bundle_activation\{name="swap",active_revision="b"\} \d/);
    expect(text).not.toContain('active_revision="good"');
    expect(text).toMatch(/last_success_bundle_download\{name="swap"\} \d/);
    expect(text).toMatch(/last_bundle_request\{name="swap"\} \d/);
    expect(text).toContain('bundle_loading_duration_ns_count{name="swap",stage="activate"} 2');
  });
});

describe.skipIf(missingOutsideCi('opa'))('BundleManager with two bundles', () => {
  it('refuses a bundle whose roots overlap another active bundle, and routes paths by roots', async () => {
    const dir = await tempDir('roots');
    const swap = new ScriptedSource();
    const other = new ScriptedSource();
    swap.bytes = await opaBuild({ fixture: 'swap-a', revision: 'a', out: join(dir, 'a.tar.gz') });
    // `other` without a manifest owns every root ("") → overlaps swap
    other.bytes = await opaBuild({ fixture: 'other', revision: 'other', out: join(dir, 'o.tar.gz'), entrypoints: ['swap/other'] });
    const manager = createBundleManager({ config: { bundles: { swap: manual(), other: manual() } }, sources: { swap, other }, decisionPath: 'swap/answer' });
    await manager.trigger('swap');
    await manager.trigger('other');
    expect(manager.bundles().has('other')).toBe(false);
    expect(manager.status().other?.errors?.[0]?.code).toBe('BUNDLE_ROOTS_OVERLAP');
    expect(manager.ready()).toBe(false);
    expect(manager.active()?.revision).toBe('a');
    expect(manager.activeFor('swap/answer')?.revision).toBe('a');
    await manager.stop();
  });

  it('serves disjoint bundles side by side', async () => {
    const dir = await tempDir('roots2');
    const a = new ScriptedSource();
    a.bytes = await opaBuild({ fixture: 'swap-a', revision: 'a', out: join(dir, 'a.tar.gz'), entrypoints: ['swap/answer', 'swap/allow'] });
    const files = parseTar(gunzipSync(a.bytes));
    files.set('.manifest', new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(files.get('.manifest'))), roots: ['swap/config', 'swap/answer', 'swap/allow'] })));
    a.bytes = packTarGz(files);
    const o = new ScriptedSource();
    const of = parseTar(gunzipSync(await opaBuild({ fixture: 'other', revision: 'other', out: join(dir, 'o.tar.gz'), entrypoints: ['swap/other'] })));
    of.set('.manifest', new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(of.get('.manifest'))), roots: ['swap/other'] })));
    o.bytes = packTarGz(of);
    const manager = createBundleManager({ config: { bundles: { a: manual(), o: manual() } }, sources: { a, o }, decisionPath: 'swap/answer' });
    await manager.start();
    expect(manager.status()).toMatchObject({ a: { active_revision: 'a' }, o: { active_revision: 'other' } });
    expect(manager.ready()).toBe(true);
    expect(manager.activeFor('swap/other/hello')?.revision).toBe('other');
    expect(manager.activeFor('swap/answer')?.revision).toBe('a');
    expect(manager.active()?.revision).toBe('a');
    await manager.stop();
  });
});
