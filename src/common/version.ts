import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommonError } from './error.ts';
import { isRecord } from './is-record.ts';

/** wasmgate's version, read from package.json: the one place it is written. */
export const VERSION: string = readVersion();

/** The nearest package.json above this module (src/common/ from the sources, dist/src/common/ from the build). */
function readVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (isRecord(manifest) && manifest.name === 'wasmgate' && typeof manifest.version === 'string') return manifest.version;
    }
    if (dirname(dir) === dir) throw new CommonError('VERSION_UNKNOWN', 'wasmgate\'s package.json (with its "version") was not found above src/common; reinstall wasmgate');
  }
}
