import { describe, expect, it } from 'vitest';
import { DecisionRing, toRecord, withRecording } from '../../../src/ui/ring.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';

const rec = (id: string) => toRecord({ ref: `oci:x:${id}` }, { allow: true, deny: [], digest: null, decision_id: id, revision: null, errors: [], result: true, input: null, metrics: {}, cached: false }, 1, new Date(0), 'wasm/sbom');

describe('DecisionRing', () => {
  it('keeps the last N, newest first, and forgets the evicted ones by id', () => {
    const ring = new DecisionRing(3);
    for (const id of ['a', 'b', 'c', 'd']) ring.push(rec(id));
    expect(ring.list().map((r) => r.decision_id)).toEqual(['d', 'c', 'b']);
    expect(ring.get('a')).toBeUndefined();
    expect(ring.get('b')?.ref).toBe('oci:x:b');
  });

  it('tells subscribers of each record until they unsubscribe; a throwing listener changes nothing', () => {
    const ring = new DecisionRing(2);
    const seen: string[] = [];
    const off = ring.subscribe((r) => seen.push(r.decision_id));
    ring.subscribe(() => {
      throw new Error('closed stream');
    });
    ring.push(rec('a'));
    off();
    ring.push(rec('b'));
    expect(seen).toEqual(['a']);
    expect(ring.list()).toHaveLength(2);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new DecisionRing(0)).toThrow(RangeError);
  });

  it('withRecording records every decision with its ref, path and latency, and returns it untouched', async () => {
    const ring = new DecisionRing(10);
    const d = withRecording(createFakeDecider(), ring, 'wasm/sbom');
    const answer = await d.decide({ ref: 'oci:demo/store:deny-me', path: 'wasm/sbom/allow' });
    const [r] = ring.list();
    expect(r).toMatchObject({ decision_id: answer.decision_id, ref: 'oci:demo/store:deny-me', path: 'wasm/sbom/allow', allow: false, deny: answer.deny });
    expect(r!.latency_ms).toBeGreaterThanOrEqual(0);
  });
});
