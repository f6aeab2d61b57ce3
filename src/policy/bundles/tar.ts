import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { bundleError } from './error.ts';

/**
 * Writes deterministic tar.gz archives (sorted names, mode 0644, mtime 0, uid/gid 0),
 * for directory bundles packed in memory, signed bundles and self-tests appended
 * after `opa build`.
 */

const BLOCK = 512;

/**
 * Packs files (bundle-relative names, `/` separators) into a gzip'd tar. Entry
 * names get a leading `/` as `opa build` writes them (OPA resolves the
 * manifest's `/policy.wasm` against them).
 */
export function packTarGz(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const name of [...files.keys()].sort()) parts.push(...entry(`/${name.replace(/^\/+/, '')}`, files.get(name) as Uint8Array));
  parts.push(new Uint8Array(BLOCK * 2));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

/**
 * Adds files to an existing tar.gz, keeping its entries byte for byte (the
 * appended names must not already be in it; the caller checks).
 */
export function appendToTarGz(bytes: Uint8Array, files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const tar = gunzipSync(bytes);
  const end = endOfEntries(tar);
  const parts: Uint8Array[] = [tar.subarray(0, end)];
  for (const name of [...files.keys()].sort()) parts.push(...entry(`/${name.replace(/^\/+/, '')}`, files.get(name) as Uint8Array));
  parts.push(new Uint8Array(BLOCK * 2));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

/**
 * Reads an unpacked bundle directory into files (regular files only; symlinks and
 * special files are refused, like links inside a tar). Bounded by `maxBytes` in total.
 */
export async function readBundleDir(dir: string, maxBytes: number): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  let total = 0;
  const visit = async (abs: string, rel: string): Promise<void> => {
    for (const e of await readdir(abs, { withFileTypes: true })) {
      const p = join(abs, e.name);
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      const st = await lstat(p);
      if (st.isDirectory()) await visit(p, r);
      else if (st.isFile()) {
        total += st.size;
        if (total > maxBytes) throw bundleError('BUNDLE_SOURCE_INVALID', `bundle directory ${dir} holds more than ${maxBytes} bytes; raise size_limit_bytes if that is genuine`);
        files.set(r, await readFile(p));
      } else {
        throw bundleError('BUNDLE_SOURCE_INVALID', `bundle directory ${dir} contains ${r}, which is not a regular file or directory (links are not allowed in bundles)`);
      }
    }
  };
  await visit(dir, '');
  return files;
}

function entry(name: string, body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const nameBytes = Buffer.from(name, 'utf8');
  let split = splitUstarName(name);
  if (split === undefined) {
    // a pax header carries names that ustar cannot hold
    const rec = paxRecord('path', name);
    out.push(header('PaxHeader', rec.byteLength, 'x'), pad(rec));
    split = { prefix: '', name: nameBytes.subarray(0, 100).toString('utf8') };
  }
  out.push(header(split.name, body.byteLength, '0', split.prefix), pad(body));
  return out;
}

function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { prefix, name: rest };
  }
  return undefined;
}

function paxRecord(key: string, value: string): Uint8Array {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`, 'utf8');
}

function header(name: string, size: number, type: string, prefix = ''): Uint8Array {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.write('00000000000\0', 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function pad(body: Uint8Array): Uint8Array {
  const rem = body.byteLength % BLOCK;
  return rem === 0 ? body : Buffer.concat([body, new Uint8Array(BLOCK - rem)]);
}

/** Offset of the end-of-archive marker (first all-zero header block). */
function endOfEntries(tar: Uint8Array): number {
  let offset = 0;
  while (offset + BLOCK <= tar.byteLength) {
    const h = tar.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) return offset;
    const sizeText = Buffer.from(h.subarray(124, 136)).toString('ascii').replace(/\0.*$/s, '').trim();
    const size = sizeText === '' ? 0 : parseInt(sizeText, 8);
    if (!Number.isSafeInteger(size)) throw bundleError('BUNDLE_SOURCE_INVALID', 'cannot append to the bundle: its tar has an unreadable size field');
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return Math.min(offset, tar.byteLength);
}
