import { isAbsolute, resolve } from 'node:path';

/** A path from a config file: absolute as given, else relative to the config's folder (`baseDir`). */
export function resolveConfigPath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
