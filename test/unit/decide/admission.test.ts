import { describe, expect, it } from 'vitest';
import { withAdmission } from '../../../src/decide/admission.ts';
import { withDeadline } from '../../../src/decide/deadline.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';
import { rejectionCode } from '../../support/errors.ts';

describe('withAdmission', () => {
  describe('when every slot and queue place is taken', () => {
    it('refuses at once with DECISION_OVERLOADED, which the deadline decorator answers as a deny with reason overloaded', async () => {
      const inner = createFakeDecider({ delayMs: 50 });
      const shed: string[] = [];
      const admitted = withAdmission(inner, { maxConcurrent: 1, maxQueued: 1, deadlineMs: 5000, onShed: (why) => shed.push(why) });
      const first = admitted.decide({ ref: 'r/a:1' });
      const second = admitted.decide({ ref: 'r/b:1' });
      expect(await rejectionCode(admitted.decide({ ref: 'r/c:1' }))).toBe('DECISION_OVERLOADED');
      const denied = await withDeadline(admitted, { deadlineMs: 5000 }).decide({ ref: 'r/d:1' });
      expect(denied.allow).toBe(false);
      expect(denied.deny[0]).toMatch(/^overloaded: /);
      await Promise.all([first, second]);
      expect(inner.calls.map((c) => c.ref)).toEqual(['r/a:1', 'r/b:1']);
      expect(shed).toEqual(['queue_full', 'queue_full']);
      expect(admitted.stats()).toEqual({ running: 0, queued: 0, shed: 2 });
    });
  });

  describe('when a waiter outlives its deadline in the queue', () => {
    it('drops it without running it (DECISION_TIMEOUT, counted as expired)', async () => {
      const inner = createFakeDecider({ delayMs: 80 });
      const shed: string[] = [];
      const admitted = withAdmission(inner, { maxConcurrent: 1, maxQueued: 4, deadlineMs: 20, onShed: (why) => shed.push(why) });
      const first = admitted.decide({ ref: 'r/a:1' });
      const late = admitted.decide({ ref: 'r/b:1' });
      expect(await rejectionCode(late)).toBe('DECISION_TIMEOUT');
      await first;
      expect(inner.calls).toHaveLength(1);
      expect(shed).toEqual(['expired']);
    });

    it('runs a waiter that still has time', async () => {
      const inner = createFakeDecider({ delayMs: 10 });
      const admitted = withAdmission(inner, { maxConcurrent: 1, maxQueued: 4, deadlineMs: 5000 });
      const answers = await Promise.all(['r/a:1', 'r/b:1', 'r/c:1'].map((ref) => admitted.decide({ ref })));
      expect(answers.every((a) => a.allow)).toBe(true);
      expect(inner.calls).toHaveLength(3);
    });
  });
});
