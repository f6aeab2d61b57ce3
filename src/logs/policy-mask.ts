import { compilePointer } from './erase.ts';
import type { DecisionEventV1 } from './event.ts';

/**
 * OPA's `decision_logs.mask_decision` and `drop_decision`: policies evaluated
 * with the event as input. The mask policy answers a set of JSON pointers to
 * erase (`"/input/password"`) or operations `{"op":"upsert"|"remove","path","value"}`;
 * only `/input`, `/result` and `/nd_builtin_cache` may be changed, and `/custom/…` upserted
 * (OPA's place for data outside its schema).
 */
export interface LogPolicy {
  /** true: the event is not logged */
  drop?(event: DecisionEventV1): boolean;
  /** the mask policy's answer (undefined: nothing to mask) */
  mask?(event: DecisionEventV1): unknown;
}

const MASKABLE = new Set(['input', 'result', 'nd_builtin_cache', 'custom']);

type Op = { op: 'remove'; path: string[]; raw: string } | { op: 'upsert'; path: string[]; raw: string; value: unknown };

function toOps(answer: unknown): Op[] {
  if (answer === undefined || answer === null) return [];
  if (!Array.isArray(answer)) throw new TypeError(`the mask policy must answer a set of JSON pointers or {op, path, value} objects, got ${typeof answer}`);
  const ops: Op[] = [];
  for (const item of answer) {
    if (typeof item === 'string') {
      ops.push({ op: 'remove', path: compilePointer(item), raw: item });
      continue;
    }
    if (typeof item === 'object' && item !== null) {
      const o = item as { op?: unknown; path?: unknown; value?: unknown };
      if (typeof o.path !== 'string' || (o.op !== 'upsert' && o.op !== 'remove')) throw new TypeError(`a mask operation needs op "upsert" or "remove" and a string path, got ${JSON.stringify(item)}`);
      ops.push(o.op === 'upsert' ? { op: 'upsert', path: compilePointer(o.path), raw: o.path, value: o.value } : { op: 'remove', path: compilePointer(o.path), raw: o.path });
      continue;
    }
    throw new TypeError(`a mask entry must be a JSON pointer string or an {op, path, value} object, got ${JSON.stringify(item)}`);
  }
  return ops;
}

/**
 * Applies the mask policy's answer to a copy of the event's maskable parts and
 * records the pointers in `erased` (removed) and `masked` (upserted), as OPA does.
 * A pointer that names nothing is ignored (OPA ignores it too).
 */
export function applyMask(event: DecisionEventV1, answer: unknown): DecisionEventV1 {
  const ops = toOps(answer);
  if (ops.length === 0) return event;
  const out: DecisionEventV1 = { ...event };
  const doc = out as unknown as Record<string, unknown>;
  const copied = new Set<string>();
  const erased = [...(event.erased ?? [])];
  const masked = [...(event.masked ?? [])];
  for (const op of ops) {
    const [root, ...rest] = op.path;
    if (root === undefined || !MASKABLE.has(root) || (root === 'custom' && (op.op !== 'upsert' || rest.length === 0))) {
      throw new TypeError(`mask path ${op.raw} is outside /input, /result and /nd_builtin_cache (and upserts under /custom/…)`);
    }
    if (root === 'custom' && !(root in doc)) doc.custom = {};
    if (!(root in doc)) continue;
    if (!copied.has(root)) {
      doc[root] = structuredClone(doc[root]);
      copied.add(root);
    }
    if (rest.length === 0) {
      if (op.op === 'remove') delete doc[root];
      else doc[root] = op.value;
    } else {
      let parent: unknown = doc[root];
      for (const seg of rest.slice(0, -1)) {
        if (typeof parent !== 'object' || parent === null) break;
        parent = (parent as Record<string, unknown>)[seg];
      }
      const key = rest[rest.length - 1]!;
      if (typeof parent !== 'object' || parent === null) continue;
      const p = parent as Record<string, unknown>;
      if (op.op === 'remove') {
        if (!Object.prototype.hasOwnProperty.call(p, key)) continue;
        if (Array.isArray(p)) p.splice(Number(key), 1);
        else delete p[key];
      } else {
        p[key] = op.value;
      }
    }
    (op.op === 'remove' ? erased : masked).push(op.raw);
  }
  if (erased.length > 0) out.erased = erased;
  if (masked.length > 0) out.masked = masked;
  return out;
}
