import type { ErrorEntry, InputV1 } from '../contract/input-v1.ts';
import type { Decider, Decision, DecisionRequest } from '../decide/types.ts';

/** One decision as the explorer shows it: the answer, how long it took, and the input it was made on. */
export interface DecisionRecord {
  decision_id: string;
  /** RFC 3339 */
  time: string;
  ref: string;
  path: string;
  digest: string | null;
  allow: boolean;
  deny: readonly string[];
  errors: readonly ErrorEntry[];
  revision: string | null;
  cached: boolean;
  latency_ms: number;
  /** the assembled input document (null when resolution failed before one was made) */
  input: InputV1 | null;
}

export type RecordListener = (record: DecisionRecord) => void;

/**
 * The last N decisions, in memory only (a restart forgets them). Writing is O(1);
 * a full ring overwrites the oldest. Listeners (the live list) are told of each.
 */
export class DecisionRing {
  readonly capacity: number;
  #slots: Array<DecisionRecord | undefined>;
  #next = 0;
  #size = 0;
  #byId = new Map<string, DecisionRecord>();
  #listeners = new Set<RecordListener>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#slots = new Array<DecisionRecord | undefined>(capacity);
  }

  push(record: DecisionRecord): void {
    const old = this.#slots[this.#next];
    if (old !== undefined) this.#byId.delete(old.decision_id);
    this.#slots[this.#next] = record;
    this.#byId.set(record.decision_id, record);
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
    for (const l of this.#listeners) {
      try {
        l(record);
      } catch {
        // a broken listener (a closed event stream) never affects decisions
      }
    }
  }

  /** newest first */
  list(): DecisionRecord[] {
    const out: DecisionRecord[] = [];
    for (let i = 1; i <= this.#size; i++) {
      const r = this.#slots[(this.#next - i + this.capacity) % this.capacity];
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  get(id: string): DecisionRecord | undefined {
    return this.#byId.get(id);
  }

  subscribe(listener: RecordListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export function toRecord(req: DecisionRequest, d: Decision, latencyMs: number, now: Date, defaultPath: string): DecisionRecord {
  return {
    decision_id: d.decision_id,
    time: now.toISOString(),
    ref: req.ref,
    path: req.path ?? defaultPath,
    digest: d.digest,
    allow: d.allow,
    deny: d.deny,
    errors: d.errors,
    revision: d.revision,
    cached: d.cached,
    latency_ms: latencyMs,
    input: d.input,
  };
}

/** Wraps a decider so that every decision it makes lands in the ring; the decision itself is untouched. */
export function withRecording(inner: Decider, ring: DecisionRing, defaultPath: string): Decider {
  return {
    async decide(req, signal) {
      const t0 = performance.now();
      const d = await inner.decide(req, signal);
      ring.push(toRecord(req, d, performance.now() - t0, new Date(), defaultPath));
      return d;
    },
  };
}
