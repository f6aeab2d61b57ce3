import { createHash } from 'node:crypto';
import { statSync, watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { messageOf } from '../../../common/error.ts';
import { bundleError } from '../error.ts';
import { packTarGz, readBundleDir } from '../tar.ts';
import type { BundleSource, FetchResult } from './types.ts';

/**
 * A bundle on local disk: a .tar.gz file, or an unpacked bundle directory
 * (packed in memory on each change). Changes are noticed with fs.watch (the
 * caller debounces); the etag is the sha256 of the packed bytes.
 */
export class FileSource implements BundleSource {
  readonly kind = 'file' as const;
  readonly description: string;
  readonly #path: string;
  readonly #maxBytes: number;

  constructor(path: string, maxBytes: number) {
    this.#path = resolve(path);
    this.#maxBytes = maxBytes;
    this.description = this.#path;
  }

  async fetch(etag: string | undefined): Promise<FetchResult> {
    let bytes: Uint8Array;
    try {
      const st = await stat(this.#path);
      if (st.isDirectory()) bytes = packTarGz(await readBundleDir(this.#path, this.#maxBytes));
      else {
        if (st.size > this.#maxBytes) throw bundleError('BUNDLE_SOURCE_INVALID', `bundle file ${this.#path} is ${st.size} bytes, over size_limit_bytes ${this.#maxBytes}`);
        bytes = await readFile(this.#path);
      }
    } catch (err) {
      if ((err as { code?: unknown }).code === 'BUNDLE_SOURCE_INVALID') throw err;
      throw bundleError('BUNDLE_DOWNLOAD_FAILED', `cannot read bundle ${this.#path}: ${messageOf(err)}`, { cause: err });
    }
    const tag = createHash('sha256').update(bytes).digest('hex');
    return tag === etag ? { kind: 'not-modified' } : { kind: 'modified', bytes, etag: tag };
  }

  watch(changed: () => void): () => void {
    const watchers: FSWatcher[] = [];
    const add = (path: string, recursive: boolean, filter?: string): void => {
      try {
        const w = watch(path, { recursive, persistent: false }, (_event, file) => {
          if (filter === undefined || file === null || file === filter || String(file).startsWith(`${filter}/`)) changed();
        });
        w.on('error', () => undefined);
        watchers.push(w);
      } catch {
        // the path may not exist yet: the parent watcher below notices when it appears
      }
    };
    // the parent directory sees files being replaced by rename (how editors and deploy tools write)
    add(dirname(this.#path), false, basename(this.#path));
    let isDir = false;
    try {
      isDir = statSync(this.#path).isDirectory();
    } catch {
      // not there yet
    }
    if (isDir) add(this.#path, true);
    return () => {
      for (const w of watchers) w.close();
    };
  }
}
