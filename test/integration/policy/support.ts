import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

export const execFileAsync = promisify(execFile);
export const REPO = join(import.meta.dirname, '..', '..', '..');
export const FIXTURES = join(REPO, 'test', 'fixtures', 'policy');

export interface TarEntry {
  name: string;
  body?: Uint8Array | string;
  /** tar type flag: '0' file (default), '1' hardlink, '2' symlink, '5' directory */
  type?: string;
  linkname?: string;
}

/** Writes a ustar archive from entries given as source (names are written verbatim). */
export function tar(entries: readonly TarEntry[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const body = typeof e.body === 'string' ? new TextEncoder().encode(e.body) : (e.body ?? new Uint8Array());
    const h = new Uint8Array(512);
    const put = (off: number, s: string): void => h.set(new TextEncoder().encode(s), off);
    put(0, e.name);
    put(100, '0000644\0');
    put(108, '0000000\0');
    put(116, '0000000\0');
    put(124, `${body.length.toString(8).padStart(11, '0')}\0`);
    put(136, '00000000000\0');
    put(156, e.type ?? '0');
    if (e.linkname) put(157, e.linkname);
    put(257, 'ustar\0');
    put(263, '00');
    put(148, '        ');
    let sum = 0;
    for (const b of h) sum += b;
    put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(h, body, new Uint8Array((512 - (body.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return Buffer.concat(blocks);
}

export function tarGz(entries: readonly TarEntry[]): Uint8Array {
  return gzipSync(tar(entries));
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `wasmgate-${prefix}-`));
}

/** Compiles test/fixtures/policy/rego/<name> with opa into a bundle and returns its bytes. */
export async function buildFixtureBundle(opa: string, name: string, entrypoints: string[], capabilities?: string): Promise<Uint8Array> {
  const out = join(await tempDir('fixture'), 'bundle.tar.gz');
  const args = ['build', '-t', 'wasm', '-b', join(FIXTURES, 'rego', name), ...entrypoints.flatMap((e) => ['-e', e]), '-o', out];
  if (capabilities) args.push('--capabilities', capabilities);
  await execFileAsync(opa, args);
  return readFile(out);
}
