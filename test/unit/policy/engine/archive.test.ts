import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseTar, readTarGz, safePath } from '../../../../src/policy/engine/archive.ts';
import { EngineError } from '../../../../src/policy/engine/error.ts';
import { tar } from '../../../integration/policy/support.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof EngineError ? e.code : `not an EngineError: ${String(e)}`;
  }
  return undefined;
}

describe('safePath', () => {
  it('strips leading slashes and ./ the way OPA bundles are written', () => {
    expect(safePath('/data.json')).toBe('data.json');
    expect(safePath('./a/./b/data.json')).toBe('a/b/data.json');
    expect(safePath('//policy.wasm')).toBe('policy.wasm');
  });
  it('rejects .. anywhere, NUL, backslashes and drive letters with BUNDLE_PATH_UNSAFE', () => {
    for (const bad of ['../x', 'a/../../x', 'a/..', '..', 'a\0b', 'a\\..\\b', 'C:/x']) {
      expect(codeOf(() => safePath(bad)), bad).toBe('BUNDLE_PATH_UNSAFE');
    }
  });
});

describe('parseTar', () => {
  it('returns regular files by normalised name and skips directories', () => {
    const files = parseTar(tar([{ name: 'dir/', type: '5' }, { name: '/dir/data.json', body: '{"a":1}' }, { name: '.manifest', body: '{}' }]));
    expect([...files.keys()]).toEqual(['dir/data.json', '.manifest']);
    expect(new TextDecoder().decode(files.get('dir/data.json'))).toBe('{"a":1}');
  });
  it('uses GNU long names and pax paths for the following entry', () => {
    const long = `${'d'.repeat(120)}/data.json`;
    const pax = `30 path=${'p'.repeat(12)}/data.json\n`;
    const files = parseTar(tar([{ name: '././@LongLink', type: 'L', body: `${long}\0` }, { name: 'short', body: 'x' }, { name: 'PaxHeader', type: 'x', body: pax }, { name: 'ignored', body: 'y' }]));
    expect([...files.keys()]).toEqual([long, `${'p'.repeat(12)}/data.json`]);
  });
  it('rejects a long name that escapes the root', () => {
    expect(codeOf(() => parseTar(tar([{ name: '././@LongLink', type: 'L', body: '../../etc/passwd\0' }, { name: 'x', body: 'x' }])))).toBe('BUNDLE_PATH_UNSAFE');
  });
  it('rejects character devices and fifos with BUNDLE_TAR_INVALID', () => {
    expect(codeOf(() => parseTar(tar([{ name: 'dev', type: '3' }])))).toBe('BUNDLE_TAR_INVALID');
    expect(codeOf(() => parseTar(tar([{ name: 'fifo', type: '6' }])))).toBe('BUNDLE_TAR_INVALID');
  });
  it('rejects a corrupted header checksum and an entry running past the end', () => {
    const t = tar([{ name: 'a', body: 'hello' }]);
    const bad = t.slice();
    bad[0] = 0x62;
    expect(codeOf(() => parseTar(bad))).toBe('BUNDLE_TAR_INVALID');
    const truncated = tar([{ name: 'big', body: 'x'.repeat(2000) }]).subarray(0, 1024);
    expect(codeOf(() => parseTar(truncated))).toBe('BUNDLE_TAR_INVALID');
  });
  it('never throws anything but an EngineError on arbitrary bytes', () => {
    for (let i = 0; i < 200; i++) {
      const junk = new Uint8Array(1536).map((_, j) => (j * 31 + i * 17) % 256);
      const code = codeOf(() => parseTar(junk));
      expect(code === undefined || !code.startsWith('not an')).toBe(true);
    }
  });
});

describe('readTarGz', () => {
  it('rejects non-gzip input with BUNDLE_NOT_GZIP', async () => {
    await expect(readTarGz(new Uint8Array(100))).rejects.toMatchObject({ code: 'BUNDLE_NOT_GZIP' });
  });
  it('rejects an archive inflating beyond the bound with BUNDLE_TOO_LARGE', async () => {
    const gz = gzipSync(tar([{ name: 'zeros', body: new Uint8Array(4 * 1024 * 1024) }]));
    await expect(readTarGz(gz, 1024 * 1024)).rejects.toMatchObject({ code: 'BUNDLE_TOO_LARGE' });
    expect((await readTarGz(gz, 8 * 1024 * 1024)).get('zeros')?.length).toBe(4 * 1024 * 1024);
  });
});
