import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the embedded default config's relative paths (demo/, bundles/) resolve from here. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where a config's relative paths resolve from: its own folder, or the package root for the embedded default. */
export function configBaseDir(configFile: string | undefined): string {
  return configFile === undefined ? PACKAGE_ROOT : dirname(resolve(configFile));
}
