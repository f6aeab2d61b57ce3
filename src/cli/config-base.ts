import { dirname, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../common/paths.ts';

/** The package root: the embedded default config's relative paths (demo/, bundles/) resolve from here. */
export { PACKAGE_ROOT };

/** Where a config's relative paths resolve from: its own folder, or the package root for the embedded default. */
export function configBaseDir(configFile: string | undefined): string {
  return configFile === undefined ? PACKAGE_ROOT : dirname(resolve(configFile));
}
