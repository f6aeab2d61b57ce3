import type { Decider, Decision, DecisionRequest } from '../../../src/decide/types.ts';

/** A Decider whose answer per ref is set by the test; records every request. */
export class FakeDecider implements Decider {
  readonly calls: DecisionRequest[] = [];
  readonly allowed = new Set<string>();
  /** refs whose decision never finishes before `release()` */
  readonly slow = new Map<string, Array<() => void>>();
  readonly slowRefs = new Set<string>();
  throwFor = new Set<string>();
  /** refs the fake cannot decide (fail closed with an error entry, as the real pipeline does) */
  undecidable = new Set<string>();
  #n = 0;

  async decide(req: DecisionRequest): Promise<Decision> {
    this.calls.push(req);
    if (this.slowRefs.has(req.ref)) {
      await new Promise<void>((resolve) => {
        const waiters = this.slow.get(req.ref) ?? [];
        waiters.push(resolve);
        this.slow.set(req.ref, waiters);
      });
    }
    if (this.throwFor.has(req.ref)) throw new Error(`registry for ${req.ref} unreachable`);
    const undecided = this.undecidable.has(req.ref);
    const allow = !undecided && this.allowed.has(req.ref);
    return {
      allow,
      deny: allow ? [] : [`module ${req.ref} is missing a valid CycloneDX SBOM attestation`],
      digest: 'sha256:' + '1'.repeat(64),
      decision_id: `fake-${++this.#n}`,
      revision: 'rev-1',
      errors: undecided ? [{ code: 'registry_unreachable', message: `cannot reach the registry for ${req.ref}` }] : [],
      result: { allow, deny: [] },
      input: null,
      metrics: {},
      cached: false,
    };
  }

  release(ref: string): void {
    this.slowRefs.delete(ref);
    for (const r of this.slow.get(ref) ?? []) r();
    this.slow.delete(ref);
  }
}
