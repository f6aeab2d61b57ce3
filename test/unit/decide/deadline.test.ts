import { describe, expect, it } from 'vitest';
import { WasmgateError } from '../../../src/common/error.ts';
import { CallerError, classifyError, createDecisionCache, withDecisionCache, withDeadline } from '../../../src/decide/index.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';

/** An error with any code, declared or not (what a foreign or future module could throw). */
class AnyCodeError extends WasmgateError<string> {}

const D = `sha256:${'b'.repeat(64)}`;

describe('withDeadline', () => {
  describe('when the inner decider answers in time', () => {
    it('returns its decision unchanged', async () => {
      const d = withDeadline(createFakeDecider(), { deadlineMs: 1000 });
      const r = await d.decide({ ref: `r/app@${D}` });
      expect(r).toMatchObject({ allow: true, deny: [], digest: D, errors: [] });
    });

    it('turns a decision that reports errors into a deny, whatever its allow said', async () => {
      const inner = createFakeDecider({ answer: () => ({ allow: true, errors: [{ code: 'registry_unreachable', message: 'refused' }] }) });
      const r = await withDeadline(inner, { deadlineMs: 1000 }).decide({ ref: `r/app@${D}` });
      expect(r.allow).toBe(false);
      expect(r.deny).toContain('registry_unreachable: refused');
    });
  });

  describe('when the inner decider overruns', () => {
    it('denies with reason timeout and lets the work warm the cache', async () => {
      const inner = createFakeDecider({ delayMs: 60 });
      const cache = createDecisionCache({ ttlMs: 10_000, maxEntries: 10 });
      const d = withDeadline(withDecisionCache(inner, cache, () => ({ bundleRevision: 'rev-1', trustHash: 't', dbVersion: 'd' })), { deadlineMs: 5 });
      const r = await d.decide({ ref: `r/app@${D}` });
      expect(r).toMatchObject({ allow: false, digest: D, errors: [{ code: 'timeout' }] });
      expect(r.deny[0]).toMatch(/^timeout: /);
      await new Promise((res) => setTimeout(res, 100));
      const warm = await d.decide({ ref: `r/app@${D}` });
      expect(warm).toMatchObject({ allow: true, cached: true });
      expect(inner.calls).toHaveLength(1);
    });

    it('honours a per-request deadline', async () => {
      const d = withDeadline(createFakeDecider({ delayMs: 50 }), { deadlineMs: 10_000 });
      expect((await d.decide({ ref: 'r/app:1', deadlineMs: 5 })).errors[0]!.code).toBe('timeout');
    });
  });

  describe('when the inner decider throws', () => {
    it.each([
      ['REGISTRY_UNREACHABLE', 'registry_unreachable'],
      ['REGISTRY_PROTOCOL_ERROR', 'registry_unreachable'],
      ['REGISTRY_SOMETHING_NEW', 'internal_error'],
      ['NO_TRUSTED_POLICY', 'no_trusted_policy'],
      ['BUNDLE_SOMETHING_NEW', 'internal_error'],
      ['MANIFEST_UNKNOWN', 'module_not_found'],
      ['DEADLINE_EXCEEDED', 'timeout'],
      ['DIGEST_MISMATCH', 'digest_mismatch'],
      ['REGISTRY_UNAUTHORIZED', 'registry_auth_failed'],
      ['WHATEVER', 'internal_error'],
    ])('maps %s to a deny with reason %s', async (code, reason) => {
      const d = withDeadline(createFakeDecider({ fail: () => new AnyCodeError(code, 'it broke') }), { deadlineMs: 1000 });
      const r = await d.decide({ ref: 'r/app:1' });
      expect(r).toMatchObject({ allow: false, deny: [`${reason}: it broke`], errors: [{ code: reason }], digest: null });
    });

    it('denies on a non-Error throw too', async () => {
      const d = withDeadline(createFakeDecider({ fail: () => 'a string' }), { deadlineMs: 1000 });
      expect((await d.decide({ ref: 'r/app:1' })).allow).toBe(false);
    });

    it('rethrows caller mistakes as CallerError (a 4xx, not a decision)', async () => {
      const d = withDeadline(createFakeDecider({ fail: () => new AnyCodeError('HOST_NOT_ALLOWED', 'evil.example is not allowed') }), { deadlineMs: 1000 });
      await expect(d.decide({ ref: 'evil.example/x:1' })).rejects.toBeInstanceOf(CallerError);
    });
  });
});

describe('classifyError', () => {
  it('treats an AbortError as a timeout', () => {
    const err = new Error('aborted');
    err.name = 'AbortError';
    expect(classifyError(err)).toMatchObject({ kind: 'deny', reason: 'timeout' });
  });
});
