/**
 * Erases and masks JSON pointers in a decision event without touching the
 * caller's objects (copy on write along each matched path). A `*` segment
 * matches every array index or object key; `erased`/`masked` list the
 * concrete pointers that were changed.
 */
export interface MaskRule {
  path: string;
  value?: unknown;
}

export const MASK_PLACEHOLDER = '**REDACTED**';

type Pattern = string[];

export function compilePointer(pointer: string): Pattern {
  return pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function escapeSeg(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === 'object' && v !== null;
}

// Rewrites the value at each concrete match of `pattern`; returns the new root (or the same one if nothing matched).
function apply(root: unknown, pattern: Pattern, depth: number, prefix: string, op: (parent: Record<string, unknown> | unknown[], key: string) => void, hits: string[]): unknown {
  if (!isContainer(root)) return root;
  const seg = pattern[depth]!;
  const last = depth === pattern.length - 1;
  const keys = seg === '*' ? Object.keys(root) : Object.prototype.hasOwnProperty.call(root, seg) ? [seg] : [];
  let copy: Record<string, unknown> | unknown[] | undefined;
  const ensure = (): Record<string, unknown> | unknown[] => (copy ??= Array.isArray(root) ? [...root] : { ...root });
  for (const k of keys) {
    const here = `${prefix}/${escapeSeg(k)}`;
    if (last) {
      op(ensure(), k);
      hits.push(here);
    } else {
      const child = (root as Record<string, unknown>)[k];
      const next = apply(child, pattern, depth + 1, here, op, hits);
      if (next !== child) (ensure() as Record<string, unknown>)[k] = next;
    }
  }
  return copy ?? root;
}

export interface Redactor {
  (event: { input?: unknown; result?: unknown }): { input?: unknown; result?: unknown; erased: string[]; masked: string[] };
}

/** Precompiles erase pointers and mask rules into one function applied per event. */
export function createRedactor(erase: readonly string[], mask: readonly MaskRule[]): Redactor {
  const eraseP = erase.map(compilePointer);
  const maskP = mask.map((m) => ({ p: compilePointer(m.path), value: m.value === undefined ? MASK_PLACEHOLDER : m.value }));
  const remove = (parent: Record<string, unknown> | unknown[], key: string): void => {
    if (Array.isArray(parent)) parent[Number(key)] = null;
    else delete parent[key];
  };
  return (event) => {
    let doc: Record<string, unknown> = { input: event.input, result: event.result };
    const erased: string[] = [];
    const masked: string[] = [];
    if (eraseP.length === 0 && maskP.length === 0) return { ...event, erased, masked };
    for (const p of eraseP) doc = apply(doc, p, 0, '', remove, erased) as Record<string, unknown>;
    for (const { p, value } of maskP) {
      doc = apply(doc, p, 0, '', (parent, key) => {
        (parent as Record<string, unknown>)[key] = structuredClone(value);
      }, masked) as Record<string, unknown>;
    }
    const out: { input?: unknown; result?: unknown; erased: string[]; masked: string[] } = { erased, masked };
    if ('input' in event) out.input = doc.input;
    if ('result' in event) out.result = doc.result;
    return out;
  };
}
