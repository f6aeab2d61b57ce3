import { describe, expect, it } from 'vitest';
import { createMetrics, createStatusRegistry } from '../../../src/status/index.ts';

describe('createStatusRegistry', () => {
  it('starts a component at NOT_READY and reports updates as copies', () => {
    const s = createStatusRegistry();
    s.register('bundle');
    expect(s.snapshot().plugins.bundle).toEqual({ state: 'NOT_READY' });
    s.update('bundle', { state: 'OK', details: { n: 1 } });
    const snap = s.snapshot();
    (snap.plugins.bundle!.details as { n: number }).n = 2;
    expect(s.snapshot().plugins.bundle).toEqual({ state: 'OK', details: { n: 1 } });
  });

  describe('bundlesReady', () => {
    it('is false until every expected bundle activated once', () => {
      const s = createStatusRegistry();
      s.expectBundles(['a', 'b']);
      s.reportBundle({ name: 'a', last_successful_activation: '2026-01-01T00:00:00Z' });
      expect(s.bundlesReady()).toBe(false);
      s.reportBundle({ name: 'b', last_successful_activation: '2026-01-01T00:00:00Z' });
      expect(s.bundlesReady()).toBe(true);
      // a later failure keeps the activated bundle ready (the last good one stays active)
      s.reportBundle({ name: 'b', last_successful_activation: '2026-01-01T00:00:00Z', code: 'bundle_error', message: 'download failed' });
      expect(s.bundlesReady()).toBe(true);
    });
  });

  describe('pluginsReady', () => {
    it('needs every component OK, minus the excluded ones', () => {
      const s = createStatusRegistry();
      s.register('a', { state: 'OK' });
      s.register('b');
      expect(s.pluginsReady()).toBe(false);
      expect(s.pluginsReady(['b'])).toBe(true);
      s.update('b', { state: 'WARN' });
      expect(s.pluginsReady()).toBe(false);
    });
  });

  it('notifies listeners once per burst with the latest state', async () => {
    const s = createStatusRegistry();
    const seen: string[] = [];
    s.subscribe((snap) => seen.push(snap.plugins.x!.state));
    s.register('x');
    s.update('x', { state: 'ERROR' });
    s.update('x', { state: 'OK' });
    await Promise.resolve();
    expect(seen).toEqual(['OK']);
  });
});

describe('createMetrics', () => {
  it('registers OPA\'s names for bundle, HTTP and decision-log metrics in one registry', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.bundleLoaded.labels('default').inc();
    m.lastSuccessBundleActivation.labels('default', 'r1').set(1);
    m.bundleFailedLoad.labels('default', 'BUNDLE_NOT_GZIP', 'bad').inc();
    m.httpRequestDuration.labels('200', 'v1/data', 'post').observe(0.001);
    const text = await m.registry.metrics();
    for (const name of ['bundle_loaded_counter', 'bundle_failed_load_counter', 'last_success_bundle_activation', 'http_request_duration_seconds_bucket', 'decision_logs_dropped_buffer_size_limit_exceeded', 'wasmgate_decisions_total']) {
      expect(text).toContain(name);
    }
    expect(text).toContain('handler="v1/data"');
  });

  it('runs collect hooks before a scrape', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.onCollect(() => m.cacheEntries.labels('decision').set(7));
    expect(await m.registry.metrics()).toContain('wasmgate_cache_entries{cache="decision"} 7');
  });
});
