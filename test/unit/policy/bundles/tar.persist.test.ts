import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseTar } from '../../../../src/policy/engine/archive.ts';
import { appendToTarGz, packTarGz, readBundleDir } from '../../../../src/policy/bundles/tar.ts';
import { loadPersistedBundle, persistedBundlePath, saveBundle } from '../../../../src/policy/bundles/persist.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const unpack = (b: Uint8Array): Record<string, string> => Object.fromEntries([...parseTar(gunzipSync(b))].map(([k, v]) => [k, new TextDecoder().decode(v)]));

describe('packTarGz', () => {
  it('round-trips through the engine\'s tar reader, long names included, deterministically', () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(90)}.rego`;
    const longer = `${'x'.repeat(300)}.json`;
    const files = new Map([['.manifest', enc('{}')], [long, enc('package p')], [longer, enc('{}')], ['a/data.json', enc('{"a":1}')]]);
    const packed = packTarGz(files);
    expect(unpack(packed)).toEqual({ '.manifest': '{}', [long]: 'package p', [longer]: '{}', 'a/data.json': '{"a":1}' });
    expect(Buffer.compare(Buffer.from(packed), Buffer.from(packTarGz(files)))).toBe(0);
  });
});

describe('appendToTarGz', () => {
  it('keeps the existing entries and adds the new ones', () => {
    const base = packTarGz(new Map([['.manifest', enc('{}')]]));
    expect(unpack(appendToTarGz(base, new Map([['tests/a.json', enc('[]')]])))).toEqual({ '.manifest': '{}', 'tests/a.json': '[]' });
  });
});

describe('readBundleDir', () => {
  it('reads nested files and refuses more than maxBytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmgate-unit-dir-'));
    await mkdir(join(dir, 'a'));
    await writeFile(join(dir, 'a', 'data.json'), '{"x":1}');
    await writeFile(join(dir, '.manifest'), '{}');
    expect([...(await readBundleDir(dir, 100)).keys()].sort()).toEqual(['.manifest', 'a/data.json']);
    await expect(readBundleDir(dir, 5)).rejects.toThrow(expect.objectContaining({ code: 'BUNDLE_SOURCE_INVALID' }));
  });
});

describe('saveBundle / loadPersistedBundle', () => {
  it('writes <dir>/bundles/<name>/bundle.tar.gz by rename, leaving no temp file, and ignores leftover temp files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmgate-unit-persist-'));
    expect(await loadPersistedBundle(dir, 'authz')).toBeUndefined();
    await saveBundle(dir, 'authz', enc('one'));
    await saveBundle(dir, 'authz', enc('two'));
    expect(persistedBundlePath(dir, 'authz')).toBe(join(dir, 'bundles', 'authz', 'bundle.tar.gz'));
    expect(await readdir(join(dir, 'bundles', 'authz'))).toEqual(['bundle.tar.gz']);
    await writeFile(join(dir, 'bundles', 'authz', '.bundle.tar.gz.abc.tmp'), 'partial');
    expect(new TextDecoder().decode(await loadPersistedBundle(dir, 'authz'))).toBe('two');
  });

  it('keeps odd bundle names inside their directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmgate-unit-persist-'));
    await saveBundle(dir, '../evil/x', enc('z'));
    expect(await readdir(join(dir, 'bundles'))).toEqual(['..%2fevil%2fx']);
    expect(await readFile(persistedBundlePath(dir, '../evil/x'), 'utf8')).toBe('z');
  });
});
