import { randomUUID } from 'node:crypto';
import type { Decider, Decision, DecisionRequest } from '../../src/decide/types.ts';

/**
 * The one fake Decider of the suite (issue 18 item 7), for tests of what sits around the pipeline (server,
 * UI, integrations, logs, caches, admission, deadline): it records every request and answers by ref, with no
 * registry, verification or policy behind it. Tests of the pipeline itself use the real one (src/decide/pipeline.ts).
 */
export interface FakeDecider extends Decider {
  /** every request, in order */
  readonly calls: DecisionRequest[];
  /** with `allowOnly`: exactly the refs allowed (change it to change the verdicts, as a new bundle would) */
  readonly allowed: Set<string>;
  /** refs whose decide() throws (a plain Error naming the registry as unreachable) */
  readonly throwFor: Set<string>;
  /** refs the fake cannot decide: denied with a fail-closed error entry, as the real pipeline answers */
  readonly undecidable: Set<string>;
  /** decisions being computed now, and the most ever computed at once */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** decisions of `ref` wait until `release(ref)` */
  hold(ref: string): void;
  release(ref: string): void;
}

export interface FakeDeciderOptions {
  /** allow exactly these refs (then `allowed`); without it, every ref is allowed unless it contains "deny" */
  allowOnly?: Iterable<string>;
  /** the deny reasons of a denied ref (default: two fixed reasons, given unsorted and answered sorted) */
  denyReasons?: (ref: string) => string[];
  /** each decision takes this long */
  delayMs?: number;
  /** a value to throw for this request (undefined: answer) */
  fail?: (req: DecisionRequest) => unknown;
  /** fields laid over the answer */
  answer?: (req: DecisionRequest) => Partial<Decision>;
  revision?: string;
}

export function createFakeDecider(options: FakeDeciderOptions = {}): FakeDecider {
  const calls: DecisionRequest[] = [];
  const allowed = new Set(options.allowOnly ?? []);
  const throwFor = new Set<string>();
  const undecidable = new Set<string>();
  const held = new Map<string, Array<() => void>>();
  const holding = new Set<string>();
  let inFlight = 0;
  let maxInFlight = 0;
  const verdict = (ref: string): boolean => (options.allowOnly !== undefined ? allowed.has(ref) : !ref.includes('deny'));
  const denyReasons = options.denyReasons ?? (() => ['b: second reason', 'a: first reason']);

  async function decide(req: DecisionRequest): Promise<Decision> {
    calls.push(req);
    if (holding.has(req.ref)) await new Promise<void>((resolve) => held.set(req.ref, [...(held.get(req.ref) ?? []), resolve]));
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    const err = options.fail?.(req);
    if (err !== undefined) throw err;
    if (throwFor.has(req.ref)) throw new Error(`registry for ${req.ref} unreachable`);
    const digest = /@(sha256:[a-f0-9]{64})$/.exec(req.ref)?.[1] ?? `sha256:${'0'.repeat(64)}`;
    const undecided = undecidable.has(req.ref);
    const allow = !undecided && verdict(req.ref);
    const deny = allow ? [] : [...denyReasons(req.ref)].sort();
    const base: Decision = {
      allow,
      deny,
      digest,
      decision_id: randomUUID(),
      revision: options.revision ?? 'rev-1',
      errors: undecided ? [{ code: 'registry_unreachable', message: `cannot reach the registry for ${req.ref}` }] : [],
      result: { allow, deny },
      input: {
        module: { ref: req.ref, repository: req.ref.split('@')[0]!, digest, layers: [], wasm: null },
        signatures: [],
        sbom_attestations: [{ verified: true, errors: [], format: 'sigstore-bundle', manifest_digest: digest, subject_matches: true, certificate: null, key: null, tlog: null, predicate: { bomFormat: 'CycloneDX', components: [{ name: 'big' }] } }],
        provenance_attestations: [],
        other_attestations: [],
        vulnerability_scan: { source: 'none', database: { name: 'none', built: '', records: 0 }, matches: [] },
        request: { time: new Date(0).toISOString(), ...req.request },
      },
      metrics: { timer_wasmgate_collect_ns: 1000, timer_wasmgate_verify_ns: 2000, timer_wasmgate_scan_ns: 3000 },
      cached: false,
    };
    return { ...base, ...options.answer?.(req) };
  }

  return {
    calls,
    allowed,
    throwFor,
    undecidable,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    async decide(req) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await decide(req);
      } finally {
        inFlight--;
      }
    },
    hold(ref) {
      holding.add(ref);
    },
    release(ref) {
      holding.delete(ref);
      for (const r of held.get(ref) ?? []) r();
      held.delete(ref);
    },
  };
}
