import { readFileSync } from 'node:fs';
import { WasmgateError } from './error.ts';
import { isRecord } from './is-record.ts';

/** wasmgate's version, read from package.json: the one place it is written. */
export const VERSION: string = readVersion();

function readVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = isRecord(manifest) ? manifest.version : undefined;
  if (typeof version !== 'string') throw new WasmgateError('VERSION_UNKNOWN', 'package.json has no "version" string; reinstall wasmgate');
  return version;
}
