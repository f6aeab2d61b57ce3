/**
 * Tag resolution for the decision cache (issue 15): one HEAD per resolution against a real registry (counted by a
 * proxy), no blob or manifest GET; a moved tag resolves to its new digest; `tagTtlMs` reuses a resolution until it
 * expires; concurrent resolutions of one tag share one HEAD; an unknown tag is MANIFEST_UNKNOWN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector } from '../../../src/collect/index.ts';
import { anonymousCredentials, type RegistryClientOptions } from '../../../src/registry/index.ts';
import { pushWasmModule } from '../../support/evidence.ts';
import { startFaultProxy, startTestRegistry, type FaultProxy, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import { rejectionCode } from '../../support/errors.ts';

describe.skipIf(missingOutsideCi('oras', 'wasmgate-testregistry'))('collector.resolve against a registry', () => {
  let upstream: RunningRegistry;
  let proxy: FaultProxy;
  const client = (): RegistryClientOptions => ({ credentials: anonymousCredentials, allowedHosts: [proxy.host], insecureHosts: [proxy.host] });

  beforeAll(async () => {
    upstream = await startTestRegistry();
    proxy = await startFaultProxy({ upstream: upstream.host });
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.stop();
  });

  const since = (from: number): string[] => proxy.requests.slice(from);

  it('asks with one HEAD each time (tag_ttl 0), and follows a moved tag', async () => {
    const first = await pushWasmModule({ registry: upstream.host, repository: 'tags/moving', tag: 'live' });
    const collector = createCollector({ registry: client() });
    try {
      const ref = `${proxy.host}/tags/moving:live`;
      let from = proxy.requests.length;
      expect(await collector.resolve!(ref)).toEqual({ pinned: `${proxy.host}/tags/moving@${first.digest}`, repository: `${proxy.host}/tags/moving`, digest: first.digest });
      expect(await collector.resolve!(ref)).toMatchObject({ digest: first.digest });
      expect(since(from)).toEqual([`HEAD /v2/tags/moving/manifests/live`, `HEAD /v2/tags/moving/manifests/live`]);

      const moved = await pushWasmModule({ registry: upstream.host, repository: 'tags/moving', tag: 'live' });
      expect(moved.digest).not.toBe(first.digest);
      from = proxy.requests.length;
      expect(await collector.resolve!(ref)).toMatchObject({ digest: moved.digest, pinned: `${proxy.host}/tags/moving@${moved.digest}` });
      expect(since(from)).toEqual([`HEAD /v2/tags/moving/manifests/live`]);
      // a digest ref needs no resolution
      expect(await collector.resolve!(`${proxy.host}/tags/moving@${moved.digest}`)).toBeNull();
    } finally {
      await collector.close();
    }
  });

  it('reuses a resolution for tagTtlMs, then asks again', async () => {
    const pushed = await pushWasmModule({ registry: upstream.host, repository: 'tags/ttl', tag: 'v1' });
    let clock = 1_000_000;
    const collector = createCollector({ registry: client(), tagTtlMs: 30_000, now: () => clock });
    try {
      const ref = `${proxy.host}/tags/ttl:v1`;
      const from = proxy.requests.length;
      for (let i = 0; i < 5; i++) expect(await collector.resolve!(ref)).toMatchObject({ digest: pushed.digest });
      expect(since(from)).toHaveLength(1);
      clock += 30_001;
      expect(await collector.resolve!(ref)).toMatchObject({ digest: pushed.digest });
      expect(since(from)).toEqual([`HEAD /v2/tags/ttl/manifests/v1`, `HEAD /v2/tags/ttl/manifests/v1`]);
    } finally {
      await collector.close();
    }
  });

  it('shares one HEAD between concurrent resolutions of a tag', async () => {
    const pushed = await pushWasmModule({ registry: upstream.host, repository: 'tags/concurrent', tag: 'v1' });
    const collector = createCollector({ registry: client() });
    try {
      const ref = `${proxy.host}/tags/concurrent:v1`;
      const from = proxy.requests.length;
      const all = await Promise.all(Array.from({ length: 8 }, () => collector.resolve!(ref)));
      expect(new Set(all.map((r) => r?.digest))).toEqual(new Set([pushed.digest]));
      expect(since(from)).toEqual([`HEAD /v2/tags/concurrent/manifests/v1`]);
    } finally {
      await collector.close();
    }
  });

  it('answers MANIFEST_UNKNOWN for a tag that does not exist', async () => {
    const collector = createCollector({ registry: client() });
    try {
      expect(await rejectionCode(collector.resolve!(`${proxy.host}/tags/moving:absent`))).toBe('MANIFEST_UNKNOWN');
    } finally {
      await collector.close();
    }
  });
});
