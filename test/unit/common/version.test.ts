/** The version string is written once, in package.json; the CLI, the server and the metrics read it from there. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../../src/cli/main.ts';
import { VERSION } from '../../../src/common/version.ts';
import { createMetrics } from '../../../src/status/metrics.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const declared = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('version', () => {
  it('is the version of package.json', () => {
    expect(VERSION).toBe(declared);
  });

  it('is what `wasmgate --version` prints and what wasmgate_info carries', async () => {
    expect(createProgram().version()).toBe(VERSION);
    const text = await createMetrics({ defaultMetrics: false }).registry.metrics();
    expect(text).toContain(`wasmgate_info{version="${VERSION}"} 1`);
  });

  it('is written nowhere else in src/', () => {
    const copies = sources(join(ROOT, 'src')).filter((f) => readFileSync(f, 'utf8').includes(`'${declared}'`));
    expect(copies.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
