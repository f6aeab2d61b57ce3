import { randomUUID } from 'node:crypto';
import type { Decider, Decision, DecisionRequest } from '../../src/decide/types.ts';

export interface FakeDecider extends Decider {
  readonly calls: DecisionRequest[];
}

/** A Decider answering from a table keyed by ref: allow unless the ref contains "deny"; configurable delay/throw. */
export function createFakeDecider(options: {
  delayMs?: number;
  fail?: (req: DecisionRequest) => unknown;
  answer?: (req: DecisionRequest) => Partial<Decision>;
  revision?: string;
} = {}): FakeDecider {
  const calls: DecisionRequest[] = [];
  return {
    calls,
    async decide(req) {
      calls.push(req);
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      const err = options.fail?.(req);
      if (err !== undefined) throw err;
      const digest = /@(sha256:[a-f0-9]{64})$/.exec(req.ref)?.[1] ?? `sha256:${'0'.repeat(64)}`;
      const denied = req.ref.includes('deny');
      const deny = denied ? ['b: second reason', 'a: first reason'].sort() : [];
      const base: Decision = {
        allow: !denied,
        deny,
        digest,
        decision_id: randomUUID(),
        revision: options.revision ?? 'rev-1',
        errors: [],
        result: { allow: !denied, deny },
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
    },
  };
}
