/**
 * OPA's total order on values (ast.Compare): null < booleans < numbers < strings
 * < arrays < objects < sets. Strings compare byte-wise in UTF-8, which equals
 * code point order (not JS's UTF-16 code unit order, nor localeCompare).
 * Sets reach this module as already-sorted arrays tagged by `OpaSet`.
 */

/** A Rego set decoded from the guest: its elements, sorted in OPA order. */
export class OpaSet {
  readonly items: unknown[];
  constructor(items: unknown[]) {
    this.items = items;
  }
}

function rank(v: unknown): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean': return 1;
    case 'number': return 2;
    case 'string': return 3;
    default:
      if (Array.isArray(v)) return 6;
      if (v instanceof OpaSet) return 8;
      return 7;
  }
}

/** Compares two strings by Unicode code point (= UTF-8 byte order). */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only surrogates disagree between UTF-16 and code point order.
    if (x >= 0xd800 && y >= 0xd800) {
      const cx = a.codePointAt(i) ?? x;
      const cy = b.codePointAt(i) ?? y;
      return cx < cy ? -1 : cx > cy ? 1 : 0;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

export function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0: return 0;
    case 1: return a === b ? 0 : a === false ? -1 : 1;
    case 2: return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 3: return compareStrings(a as string, b as string);
    case 6: return compareSeq(a as unknown[], b as unknown[]);
    case 8: return compareSeq((a as OpaSet).items, (b as OpaSet).items);
    default: return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
  }
}

function compareSeq(a: unknown[], b: unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a).sort(compareStrings);
  const kb = Object.keys(b).sort(compareStrings);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const k1 = ka[i] as string;
    const k2 = kb[i] as string;
    const c = compareStrings(k1, k2);
    if (c !== 0) return c;
    const cv = compareValues(a[k1], b[k2]);
    if (cv !== 0) return cv;
  }
  return ka.length === kb.length ? 0 : ka.length < kb.length ? -1 : 1;
}
