import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { EngineError, embeddedBundlePath, loadBundle, loadBundleFile } from '../../../src/policy/engine/index.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { REPO, buildFixtureBundle, tar, tarGz, type TarEntry } from './support.ts';

async function expectCode(p: Promise<unknown>, code: string): Promise<EngineError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EngineError);
  expect((err as EngineError).code).toBe(code);
  return err as EngineError;
}

/** The files of a real bundle, to be tampered with one at a time. */
let good: Map<string, Uint8Array>;
function entries(overrides: Record<string, string | Uint8Array | null> = {}): TarEntry[] {
  const out: TarEntry[] = [];
  for (const [name, body] of good) if (!(name in overrides)) out.push({ name: `/${name}`, body });
  for (const [name, body] of Object.entries(overrides)) if (body !== null) out.push({ name, body });
  return out;
}

beforeAll(async () => {
  const { parseTar } = await import('../../../src/policy/engine/archive.ts');
  const { gunzipSync } = await import('node:zlib');
  good = parseTar(gunzipSync(await readFile(embeddedBundlePath())));
});

describe('loadBundle', () => {
  describe('when the bundle is well formed', () => {
    it('loads the rebuilt entries (control for the cases below)', async () => {
      const b = await loadBundle(tarGz(entries()), { requiredEntrypoints: ['wasm/sbom/allow'] });
      expect(b.entrypoints).toContain('wasm/sbom/deny');
    });
  });

  describe('when the bytes are not a gzip tar', () => {
    it('rejects plain text with BUNDLE_NOT_GZIP', async () => {
      await expectCode(loadBundle(new TextEncoder().encode('{"not":"a bundle"}')), 'BUNDLE_NOT_GZIP');
    });
    it('rejects a truncated gzip stream with BUNDLE_NOT_GZIP', async () => {
      const gz = tarGz(entries());
      await expectCode(loadBundle(gz.subarray(0, gz.length / 2)), 'BUNDLE_NOT_GZIP');
    });
    it('rejects gzip of something that is not a tar with BUNDLE_TAR_INVALID', async () => {
      await expectCode(loadBundle(gzipSync(Buffer.alloc(2048, 0x41))), 'BUNDLE_TAR_INVALID');
    });
  });

  describe('when an entry is unsafe', () => {
    it('rejects ../ traversal with BUNDLE_PATH_UNSAFE', async () => {
      await expectCode(loadBundle(tarGz(entries({ '../../etc/data.json': '{}' }))), 'BUNDLE_PATH_UNSAFE');
    });
    it('rejects traversal hidden in the middle of a path', async () => {
      await expectCode(loadBundle(tarGz(entries({ '/a/../../x.rego': 'package x' }))), 'BUNDLE_PATH_UNSAFE');
    });
    it('rejects a symlink with BUNDLE_LINK_FORBIDDEN', async () => {
      const e = [...entries(), { name: 'data/data.json', type: '2', linkname: '/etc/passwd' }];
      await expectCode(loadBundle(tarGz(e)), 'BUNDLE_LINK_FORBIDDEN');
    });
    it('rejects a hard link with BUNDLE_LINK_FORBIDDEN', async () => {
      const e = [...entries(), { name: 'x.rego', type: '1', linkname: 'policy.wasm' }];
      await expectCode(loadBundle(tarGz(e)), 'BUNDLE_LINK_FORBIDDEN');
    });
    it('rejects the same file twice with BUNDLE_TAR_INVALID', async () => {
      await expectCode(loadBundle(tarGz([...entries(), { name: './data.json', body: '{}' }])), 'BUNDLE_TAR_INVALID');
    });
  });

  describe('when a required file is missing or wrong', () => {
    it('rejects a bundle without .manifest with BUNDLE_MANIFEST_MISSING', async () => {
      await expectCode(loadBundle(tarGz(entries({ '.manifest': null }))), 'BUNDLE_MANIFEST_MISSING');
    });
    it('rejects a manifest that is not JSON with BUNDLE_MANIFEST_INVALID', async () => {
      await expectCode(loadBundle(tarGz(entries({ '.manifest': 'revision: x' }))), 'BUNDLE_MANIFEST_INVALID');
    });
    it('rejects a bundle without policy.wasm with BUNDLE_WASM_MISSING', async () => {
      await expectCode(loadBundle(tarGz(entries({ 'policy.wasm': null }))), 'BUNDLE_WASM_MISSING');
    });
    it('rejects a manifest entrypoint the module lacks with BUNDLE_ENTRYPOINT_MISSING', async () => {
      const manifest = JSON.stringify({ revision: 'r', roots: [''], wasm: [{ entrypoint: 'wasm/sbom/nope', module: '/policy.wasm' }] });
      const err = await expectCode(loadBundle(tarGz(entries({ '.manifest': manifest }))), 'BUNDLE_ENTRYPOINT_MISSING');
      expect(err.message).toContain('wasm/sbom/nope');
    });
    it('rejects a bundle lacking a required entrypoint with BUNDLE_ENTRYPOINT_MISSING', async () => {
      await expectCode(loadBundle(tarGz(entries()), { requiredEntrypoints: ['system/main'] }), 'BUNDLE_ENTRYPOINT_MISSING');
    });
    it('rejects data.json that does not parse with BUNDLE_DATA_INVALID', async () => {
      await expectCode(loadBundle(tarGz(entries({ 'data.json': '{"wasm":' }))), 'BUNDLE_DATA_INVALID');
    });
  });

  describe('when the bundle decompresses beyond the bound', () => {
    it('stops inflating and rejects with BUNDLE_TOO_LARGE', async () => {
      const bomb = tarGz(entries({ 'filler/data.json': Buffer.alloc(8 * 1024 * 1024, 0x20) }));
      expect(bomb.length).toBeLessThan(256 * 1024); // ~8 MiB inside
      await expectCode(loadBundle(bomb, { maxDecompressedBytes: 1024 * 1024 }), 'BUNDLE_TOO_LARGE');
    });
  });

  describe('when policy.wasm is not a usable OPA module', () => {
    it('rejects bytes that are not wasm with WASM_COMPILE_FAILED', async () => {
      await expectCode(loadBundle(tarGz(entries({ 'policy.wasm': 'not wasm at all' }))), 'WASM_COMPILE_FAILED');
    });
    it('rejects a valid wasm module without the OPA ABI exports with WASM_ABI_UNSUPPORTED', async () => {
      const emptyModule = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
      await expectCode(loadBundle(tarGz(entries({ 'policy.wasm': emptyModule }))), 'WASM_ABI_UNSUPPORTED');
    });
  });
});

describe.skipIf(missingOutsideCi('opa'))('loadBundle with opa-built fixtures', () => {
  it('rejects at load time a module needing a builtin the SDK lacks (BUILTIN_UNAVAILABLE)', async () => {
    const opa = requireTool('opa');
    const bytes = await buildFixtureBundle(opa, 'needs-time', ['t/recent']);
    const err = await expectCode(loadBundle(bytes), 'BUILTIN_UNAVAILABLE');
    expect(err.message).toContain('time.now_ns');
    expect(err.details).toEqual({ missing: ['time.now_ns'] });
  });

  it('accepts that module once the host provides the builtin', async () => {
    const opa = requireTool('opa');
    const bytes = await buildFixtureBundle(opa, 'needs-time', ['t/recent']);
    const b = await loadBundle(bytes, { customBuiltins: { 'time.now_ns': () => 1 } });
    expect(b.builtins).toEqual(['time.now_ns']);
    expect(b.evaluate('t/recent', {})).toEqual({ defined: true, result: true });
  });

  it('reports a throwing builtin as EVAL_ERROR (eval_builtin_error) and keeps working', async () => {
    const opa = requireTool('opa');
    const bytes = await buildFixtureBundle(opa, 'custom-builtin', ['t/digest']);
    const b = await loadBundle(bytes, {
      customBuiltins: {
        'crypto.sha256': (text: unknown) => {
          if (text === 'boom') throw new Error('host failure');
          return `h(${String(text)})`;
        },
      },
    });
    const err = (() => { try { b.evaluate('t/digest', { text: 'boom' }); } catch (e) { return e; } return undefined; })();
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('EVAL_ERROR');
    expect((err as EngineError).details).toMatchObject({ kind: 'eval_builtin_error', path: 't/digest' });
    expect(b.evaluate('t/digest', { text: 'ok' })).toEqual({ defined: true, result: 'h(ok)' });
  });

  it('reports a rule conflict as EVAL_ERROR (eval_conflict_error), recovers, and sorts set results', async () => {
    const opa = requireTool('opa');
    const bytes = await buildFixtureBundle(opa, 'conflict', ['t/out']);
    const b = await loadBundle(bytes);
    let caught: unknown;
    try { b.evaluate('t/out', { a: true, b: true }); } catch (e) { caught = e; }
    expect((caught as EngineError).code).toBe('EVAL_ERROR');
    expect((caught as EngineError).details).toMatchObject({ kind: 'eval_conflict_error' });
    const tags = ['zeta', 'Alpha', 'é', '😀', '\uffff', 'a', 10, 2, null, true, [1], { k: 1 }];
    expect(b.evaluate('t/out', { a: true, tags })).toEqual({
      defined: true,
      result: { x: 1, tags: [null, true, 2, 10, 'Alpha', 'a', 'zeta', 'é', '\uffff', '😀', [1], { k: 1 }] },
    });
  });
});

describe('the committed bundle', () => {
  it('exists where embeddedBundlePath says', async () => {
    expect(embeddedBundlePath()).toBe(join(REPO, 'bundles', 'wasm-sbom.tar.gz'));
    expect((await readFile(embeddedBundlePath())).length).toBeGreaterThan(1000);
  });
  it('is a tar whose entries the engine parses', () => {
    expect([...good.keys()]).toEqual(expect.arrayContaining(['.manifest', 'data.json', 'policy.wasm']));
    expect(tar([]).length).toBe(1024);
  });
});

describe('loadBundleFile', () => {
  it('names a file it cannot read BUNDLE_UNREADABLE, not a gzip problem', async () => {
    const missing = join(REPO, 'bundles', 'no-such-bundle.tar.gz');
    const err = await expectCode(loadBundleFile(missing), 'BUNDLE_UNREADABLE');
    expect(err.message).toContain(`cannot read bundle file ${missing}`);
  });
  it('still says BUNDLE_NOT_GZIP for a file that is there but not gzip', async () => {
    await expectCode(loadBundleFile(join(REPO, 'package.json')), 'BUNDLE_NOT_GZIP');
  });
});
