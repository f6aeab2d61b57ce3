/** One `isRecord` for all of src/: a non-null, non-array object. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRecord } from '../../../src/common/is-record.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('isRecord', () => {
  it('accepts objects, rejects null, arrays and primitives', () => {
    for (const v of [{}, { a: 1 }, Object.create(null), new Date(0)]) expect(isRecord(v)).toBe(true);
    for (const v of [null, undefined, [], [1], 'x', 1, true, 1n, Symbol('s'), () => 1]) expect(isRecord(v)).toBe(false);
  });

  it('is defined once in src/', () => {
    const definitions = sources(join(ROOT, 'src'))
      .filter((f) => /\b(?:function\s+(?:isObject|isRecord|isPlainObject)\s*\(|const\s+(?:isObject|isRecord|isPlainObject)\s*=)/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(definitions).toEqual(['src/common/is-record.ts']);
  });
});
