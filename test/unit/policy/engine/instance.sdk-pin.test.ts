/**
 * The engine reads @open-policy-agent/opa-wasm's internals (LoadedPolicy fields, the CJS sync loader; see
 * src/policy/engine/instance.ts), so the SDK is pinned to one exact version, in package.json and in the lock file,
 * and that version is the one installed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const SDK = '@open-policy-agent/opa-wasm';
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const dependencyOf = (manifest: unknown): unknown => (manifest as { dependencies?: Record<string, unknown> }).dependencies?.[SDK];

describe('opa-wasm SDK pin', () => {
  const declared = dependencyOf(readJson(join(ROOT, 'package.json')));
  const installed = (readJson(join(ROOT, 'node_modules', SDK, 'package.json')) as { version: string }).version;

  it('is an exact version in package.json, equal to the installed one', () => {
    expect(declared).toMatch(/^\d+\.\d+\.\d+$/);
    expect(declared).toBe(installed);
  });

  it('is the same exact version in package-lock.json', () => {
    const lock = readJson(join(ROOT, 'package-lock.json')) as { packages: Record<string, unknown> };
    expect(dependencyOf(lock.packages[''])).toBe(declared);
    expect((lock.packages[`node_modules/${SDK}`] as { version: string }).version).toBe(declared);
  });
});
