import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../../common/error.ts';
import { bundleError } from './error.ts';

/**
 * The last good bundle on disk: `<persistence_directory>/bundles/<name>/bundle.tar.gz`,
 * written to a temp file in the same directory, fsync'd, then renamed over the
 * old one, so a crash leaves either the old or the new file, never half of one.
 * Leftover temp files (`.bundle.tar.gz.<random>.tmp`) are never read.
 */
export const PERSISTED_FILE = 'bundle.tar.gz';

export function persistedBundlePath(persistenceDir: string, name: string): string {
  return join(persistenceDir, 'bundles', safeName(name), PERSISTED_FILE);
}

export async function saveBundle(persistenceDir: string, name: string, bytes: Uint8Array): Promise<string> {
  const dir = join(persistenceDir, 'bundles', safeName(name));
  const target = join(dir, PERSISTED_FILE);
  const tmp = join(dir, `.${PERSISTED_FILE}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    return target;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw bundleError('BUNDLE_PERSIST_FAILED', `cannot persist bundle ${name} under ${dir}: ${messageOf(err)}; check persistence_directory is writable`, { cause: err });
  }
}

/** The persisted bundle's bytes, or undefined when there is none. */
export async function loadPersistedBundle(persistenceDir: string, name: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(persistedBundlePath(persistenceDir, name));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined;
    throw bundleError('BUNDLE_PERSIST_FAILED', `cannot read the persisted bundle ${name}: ${messageOf(err)}`, { cause: err });
  }
}

/** Bundle names become one path segment: anything but [A-Za-z0-9._-] is percent-encoded. */
function safeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return s === '.' || s === '..' || s === '' ? `%2e${s}` : s;
}
