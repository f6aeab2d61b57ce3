/**
 * No dead error codes: every code declared in an area's code union (`export type XxxErrorCode = 'A' | 'B';`) is
 * thrown somewhere in src/. A source scan: the code's literal must appear outside the union declarations, outside
 * decide/reasons.ts (the table that maps every code) and not only in comparisons (`=== 'A'`, `case 'A':`,
 * `isRegistryError(err, 'A')`), which test for a code but never produce it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');
const REASONS = join(SRC, 'decide', 'reasons.ts');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const stripComments = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
const UNION = /\bexport\s+type\s+(\w+ErrorCode)\s*=([^;]+);/g;

/** SCREAMING_SNAKE codes of every `export type …ErrorCode = …;` in a file, by union name. */
export function declaredCodes(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of stripComments(text).matchAll(UNION)) {
    const codes = [...m[2]!.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)].map((c) => c[1]!);
    if (codes.length > 0) out.set(m[1]!, codes);
  }
  return out;
}

/** The codes `text` produces, with how often: each SCREAMING_SNAKE literal, minus union declarations and comparisons. */
export function producedCodes(text: string): Map<string, number> {
  const body = stripComments(text).replace(UNION, '');
  const out = new Map<string, number>();
  for (const m of body.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)) {
    const before = body.slice(Math.max(0, m.index - 60), m.index);
    if (/(?:[!=]==\s*|\bcase\s+|isRegistryError\([^,()]*,\s*)$/.test(before)) continue;
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1);
  }
  return out;
}

describe('the scan itself', () => {
  it('reads the codes of a union, comments and all', () => {
    const text = "export type FooErrorCode =\n  /** it broke */\n  | 'FOO_BROKE'\n  // old\n  | 'FOO_GONE';\nexport type EvidenceErrorCode = 'snake_case';";
    expect(declaredCodes(text)).toEqual(new Map([['FooErrorCode', ['FOO_BROKE', 'FOO_GONE']]]));
  });

  it('counts throws, helper calls and choices, not a declaration, a comparison, a case or an isRegistryError check', () => {
    const text = [
      "export type FooErrorCode = 'FOO_A' | 'FOO_B' | 'FOO_C';",
      "if (err.code === 'FOO_B') return;",
      "switch (c) { case 'FOO_B': break; }",
      "if (isRegistryError(err, 'FOO_B')) return;",
      "// throw new FooError('FOO_B', 'a comment');",
      "throw new FooError('FOO_A', 'broke');",
      "throw fooError(\n  'FOO_A',\n  'broke');",
      "return new FooError(c === 'FOO_B' ? 'FOO_C' : 'FOO_A', 'either');",
    ].join('\n');
    expect(producedCodes(text)).toEqual(new Map([['FOO_A', 3], ['FOO_C', 1]]));
  });
});

describe('error codes', () => {
  const files = sources(SRC);
  const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
  const produced = new Map(files.filter((f) => f !== REASONS).map((f) => [relative(SRC, f), producedCodes(texts.get(f)!)]));
  const unions = files.flatMap((f) => [...declaredCodes(texts.get(f)!)].map(([name, codes]) => ({ file: relative(SRC, f), name, codes })));

  it('are declared in code unions of the areas\' error modules', () => {
    expect(unions.length).toBeGreaterThan(10);
    for (const u of unions) expect(`${u.file}: ${u.name}`).toMatch(/\/errors?\.ts: \w+ErrorCode$/);
  });

  it.each(unions.flatMap((u) => u.codes.map((code) => ({ code, where: `${u.name} (${u.file})` }))))('$code of $where is thrown somewhere in src/', ({ code }) => {
    const producers = [...produced].filter(([, codes]) => codes.has(code)).map(([file]) => file);
    expect(producers, `${code} is declared but thrown nowhere: drop it from its union and from decide/reasons.ts`).not.toEqual([]);
  });
});
