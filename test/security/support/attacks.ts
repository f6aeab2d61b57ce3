/**
 * The security suite records each attack it tries, and whether wasmgate held, into
 * test/reliability/results/<suite>.json; docs/reliability.md is rendered from those files (so the report
 * survives regeneration by either suite). An attack is one scenario: `tries` attempts, each either held (no
 * problem) or a problem described in one line. The test then asserts there were no problems.
 */
import { expect } from 'vitest';
import { recorder, type ResultRecorder } from '../../reliability/support/results.ts';

export interface AttackLog {
  /** records the attack and fails the test when any attempt got through */
  attack(name: string, outcome: string, problems: readonly string[], tries?: number): void;
  flush(): void;
}

export function attackLog(suite: string, title: string, file: string): AttackLog {
  const r: ResultRecorder = recorder(suite, title, file);
  return {
    attack(name, outcome, problems, tries = 1) {
      r.record({
        scenario: name,
        unit: tries === 1 ? 'attack' : 'attempts',
        count: tries,
        failures: problems.length,
        checks: outcome,
        ...(problems[0] !== undefined ? { first_failure: problems[0] } : {}),
      });
      expect(problems).toEqual([]);
    },
    flush: () => r.flush(),
  };
}

/** Collects one-line problems: `check(cond, what)` adds `what` when `cond` is false. */
export function problems(): { list: string[]; check(cond: boolean, what: string): void } {
  const list: string[] = [];
  return { list, check: (cond, what) => { if (!cond) list.push(what); } };
}
