import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { messageOf } from '../../common/error.ts';
import { engineError } from './error.ts';

const gunzipAsync = promisify(gunzip);

/** Default bound on the decompressed size of a bundle (all entries together). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;

const BLOCK = 512;
const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Decompresses a gzip'd tar and returns its regular files by normalised path
 * (no leading `/` or `./`). Rejects anything that is not gzip, grows beyond
 * `maxBytes`, is not a well-formed tar, contains links or special files, or
 * names a path that escapes the bundle root.
 */
export async function readTarGz(bytes: Uint8Array, maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Promise<Map<string, Uint8Array>> {
  if (bytes.byteLength < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw engineError('BUNDLE_NOT_GZIP', 'bundle is not a gzip file (a bundle is a .tar.gz as written by `opa build`)');
  }
  let tar: Uint8Array;
  try {
    tar = await gunzipAsync(bytes, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw engineError('BUNDLE_TOO_LARGE', `bundle decompresses to more than ${maxBytes} bytes; refusing it (raise the size limit if it is genuine)`, { cause: err });
    }
    throw engineError('BUNDLE_NOT_GZIP', `bundle is not valid gzip: ${messageOf(err)}`, { cause: err });
  }
  return parseTar(tar);
}

/** Parses an (uncompressed) tar archive. Exported for tests. */
export function parseTar(tar: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (offset + BLOCK <= tar.byteLength) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (isZeroBlock(header)) break;
    verifyChecksum(header, offset);
    const type = String.fromCharCode(header[156] ?? 0);
    const size = readSize(header, offset);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > tar.byteLength) {
      throw engineError('BUNDLE_TAR_INVALID', `tar entry at offset ${offset} claims ${size} bytes past the end of the archive`);
    }
    const body = tar.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    const rawName = longName ?? paxPath ?? headerName(header);
    switch (type) {
      case 'L': // GNU long name for the next entry
        longName = cString(body);
        continue;
      case 'x': // pax extended header for the next entry
        paxPath = paxRecord(body, 'path');
        continue;
      case 'g': // pax global header: carries no file
        continue;
      case '1':
      case '2':
      case 'K':
        throw engineError('BUNDLE_LINK_FORBIDDEN', `bundle contains a link (${rawName}); links are not allowed in bundles`);
      case '5':
        safePath(rawName);
        break;
      case '0':
      case '\0':
      case '7': {
        const name = safePath(rawName);
        if (files.has(name)) throw engineError('BUNDLE_TAR_INVALID', `bundle contains ${name} twice`);
        files.set(name, body);
        break;
      }
      default:
        throw engineError('BUNDLE_TAR_INVALID', `bundle entry ${rawName} has unsupported tar type '${type}' (only files and directories are allowed)`);
    }
    longName = undefined;
    paxPath = undefined;
  }
  return files;
}

/** Normalises an entry name and rejects any that could leave the bundle root. */
export function safePath(raw: string): string {
  if (raw.includes('\0') || raw.includes('\\')) {
    throw engineError('BUNDLE_PATH_UNSAFE', `bundle entry name ${JSON.stringify(raw)} contains a NUL or backslash`);
  }
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) {
    throw engineError('BUNDLE_PATH_UNSAFE', `bundle entry ${JSON.stringify(raw)} escapes the bundle root with '..'`);
  }
  if (/^[A-Za-z]:/.test(parts[0] ?? '')) {
    throw engineError('BUNDLE_PATH_UNSAFE', `bundle entry ${JSON.stringify(raw)} names a drive-absolute path`);
  }
  return parts.join('/');
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

function verifyChecksum(header: Uint8Array, offset: number): void {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  const stored = parseInt(cString(header.subarray(148, 156)).trim() || 'x', 8);
  if (stored !== sum) {
    throw engineError('BUNDLE_TAR_INVALID', `bundle is not a valid tar archive (bad header checksum at offset ${offset})`);
  }
}

function readSize(header: Uint8Array, offset: number): number {
  const field = header.subarray(124, 136);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    // base-256 encoding: only accept values that fit a safe integer
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    if (!Number.isSafeInteger(n)) throw engineError('BUNDLE_TAR_INVALID', `tar entry at offset ${offset} has an absurd size`);
    return n;
  }
  const text = cString(field).trim();
  const n = text === '' ? 0 : parseInt(text, 8);
  if (!Number.isSafeInteger(n) || n < 0) throw engineError('BUNDLE_TAR_INVALID', `tar entry at offset ${offset} has an unreadable size field`);
  return n;
}

function headerName(header: Uint8Array): string {
  const name = cString(header.subarray(0, 100));
  const magic = cString(header.subarray(257, 263));
  const prefix = magic.startsWith('ustar') ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
}

/** Reads one key of a pax extended header (`<len> key=value\n` records). */
function paxRecord(body: Uint8Array, key: string): string | undefined {
  const text = decoder.decode(body);
  let found: string | undefined;
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    const eq = line.indexOf('=', space);
    if (space < 0 || eq < 0) continue;
    if (line.slice(space + 1, eq) === key) found = line.slice(eq + 1);
  }
  return found;
}
