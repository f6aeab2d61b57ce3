/** How a data path relates to the configured decision paths (precomputed once at start). */
export type DecisionTarget =
  | { kind: 'document'; base: string }
  | { kind: 'allow'; base: string }
  | { kind: 'deny'; base: string }
  | { kind: 'rule'; base: string; path: string }
  /** a path above a decision path (`wasm`, the root): evaluated, like the others, only on input wasmgate assembled */
  | { kind: 'ancestor'; base: string };

export type DecisionPathTable = (path: string) => DecisionTarget | null;

/** `bases` and every path looked up are canonical (data-path.ts): no empty, `.` or `..` segment, percent-decoded. */
export function createDecisionPathTable(bases: readonly string[]): DecisionPathTable {
  const exact = new Map<string, DecisionTarget>();
  for (const base of bases) {
    exact.set(base, { kind: 'document', base });
    exact.set(`${base}/allow`, { kind: 'allow', base });
    exact.set(`${base}/deny`, { kind: 'deny', base });
  }
  const prefixes = bases.map((b) => `${b}/`);
  for (const base of bases) {
    const segs = base.split('/');
    for (let i = 0; i < segs.length; i++) {
      const above = segs.slice(0, i).join('/');
      if (!exact.has(above)) exact.set(above, { kind: 'ancestor', base });
    }
  }
  return (path) => {
    const hit = exact.get(path);
    if (hit !== undefined) return hit;
    for (let i = 0; i < prefixes.length; i++) {
      if (path.startsWith(prefixes[i]!)) return { kind: 'rule', base: bases[i]!, path };
    }
    return null;
  };
}
