import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A path from a config file: absolute as given, else relative to the config's folder (`baseDir`). */
export function resolveConfigPath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/**
 * The folder holding wasmgate's package.json, found by walking up from this module: `src/common/`
 * when run from the TypeScript sources, `dist/src/common/` when run from the compiled build, either
 * inside a clone or an installed package (`node_modules/wasmgate/`). Shipped data (schemas, the demo
 * store and trusted root, the bundle, the RustSec database, policies) resolves from here, never from
 * the module's own folder, so both modes read the same files.
 */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'wasmgate') return dir;
    } catch {
      // no (readable) package.json here: keep walking up
    }
    if (dirname(dir) === dir) throw new Error(`wasmgate: no package.json named "wasmgate" above ${start}; the package is incomplete, reinstall it`);
  }
}

export const PACKAGE_ROOT: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A file or folder shipped with the package, by its path from the package root (`bundles/wasm-sbom.tar.gz`). */
export function packagePath(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}
