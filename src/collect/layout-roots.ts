import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { RegistryError } from '../registry/error.ts';
import type { ArtifactStore } from '../oci/store.ts';

/** How many layout stores (one per real directory, each with its referrers scan) are kept. */
const MAX_STORES = 64;
/** How many spellings of layout directories are remembered (each points at a shared store). */
const MAX_SPELLINGS = 1024;

/**
 * OCI-layout stores keyed by the directory's real path: every spelling of one directory (`d`, `./d`, `d/`,
 * `x/../d`, a symlink to it) shares one store and one referrers scan. With `roots`, a layout is read only when its
 * real path lies under the real path of a root; the refusal names the directory as the caller spelled it, never
 * where it leads.
 */
export class LayoutStores {
  readonly #make: (realDir: string) => ArtifactStore;
  readonly #roots: readonly string[] | undefined;
  readonly #byReal = new Map<string, ArtifactStore>();
  readonly #bySpelling = new Map<string, ArtifactStore>();

  constructor(make: (realDir: string) => ArtifactStore, roots?: readonly string[]) {
    this.#make = make;
    this.#roots = roots?.map((r) => resolve(r));
  }

  /** The store for a layout directory as written in a reference (relative paths from the working directory). */
  async forSpelling(spelling: string): Promise<ArtifactStore> {
    const lexical = resolve(spelling);
    let real: string;
    try {
      real = await realpath(lexical);
    } catch (cause) {
      throw this.#missing(spelling, lexical, cause);
    }
    const roots = this.#roots === undefined ? undefined : await Promise.all(this.#roots.map((r) => realpath(r).catch(() => r)));
    return this.#remember(spelling, real, roots);
  }

  /** The same, synchronously (a spelling already seen by `forSpelling` is answered from memory). */
  forSpellingSync(spelling: string): ArtifactStore {
    const known = this.#bySpelling.get(spelling);
    if (known !== undefined) return known;
    const lexical = resolve(spelling);
    let real: string;
    try {
      real = realpathSync.native(lexical);
    } catch (cause) {
      throw this.#missing(spelling, lexical, cause);
    }
    const roots = this.#roots?.map((r) => {
      try {
        return realpathSync.native(r);
      } catch {
        return r;
      }
    });
    return this.#remember(spelling, real, roots);
  }

  #remember(spelling: string, real: string, roots: readonly string[] | undefined): ArtifactStore {
    if (roots !== undefined && !under(real, roots)) throw notAllowed(spelling);
    let store = this.#byReal.get(real);
    if (store === undefined) {
      store = this.#make(real);
      this.#byReal.set(real, store);
      evictOldest(this.#byReal, MAX_STORES);
    } else {
      this.#byReal.delete(real);
      this.#byReal.set(real, store);
    }
    this.#bySpelling.delete(spelling);
    this.#bySpelling.set(spelling, store);
    evictOldest(this.#bySpelling, MAX_SPELLINGS);
    return store;
  }

  #missing(spelling: string, lexical: string, cause: unknown): RegistryError {
    // outside the roots, "missing" and "present" look alike: no probing of the host's file system
    if (this.#roots !== undefined && !under(lexical, this.#roots)) return notAllowed(spelling);
    return new RegistryError('LAYOUT_INVALID', `OCI layout ${JSON.stringify(spelling)} does not exist or cannot be opened; check the directory`, { cause });
  }
}

function notAllowed(spelling: string): RegistryError {
  return new RegistryError(
    'LAYOUT_NOT_ALLOWED',
    `OCI layout ${JSON.stringify(spelling)} is not under a directory listed in registries.layouts; add its directory there to allow modules from it`,
    { details: { layout: spelling } },
  );
}

function under(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`));
}

function evictOldest<K, V>(map: Map<K, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
  }
}
