/**
 * The real pipeline behind the service caches decisions for digest-pinned refs: the second ask is served from
 * the cache (OPA's counter_server_query_cache_hit). A tag ref is resolved (the layout's index.json) and answered
 * from its digest's decision; a moved tag is decided afresh.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { startService, type RunningService } from '../../../src/server/index.ts';
import { createPipelineWiring } from '../../../src/wiring/pipeline-wiring.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { ROOT } from './helpers.ts';

describe('decision cache behind the real pipeline', () => {
  let svc: RunningService;
  let url: string;
  beforeAll(async () => {
    const config = parseConfig(EMBEDDED_DEFAULT_CONFIG_YAML, { overrides: { addr: '127.0.0.1:0' }, env: {} });
    // the moved-tag case copies the demo store into a temporary directory: a configured layout root too
    config.registries.layouts = [...config.registries.layouts, tmpdir()];
    svc = await startService({ config, wire: createPipelineWiring({ baseDir: ROOT }), logger: createSilentLogger(), env: {} });
    url = `http://${svc.addresses[0]!}`;
  });
  afterAll(async () => svc.stop());

  const ask = async (ref: string): Promise<{ allow: boolean; digest: string; metrics: Record<string, number> }> => {
    const res = await fetch(`${url}/v1/data/wasm/sbom?verdict&metrics`, { method: 'POST', body: JSON.stringify({ input: { module: { ref } } }) });
    const body = (await res.json()) as { result: { allow: boolean; digest: string }; metrics: Record<string, number> };
    return { ...body.result, metrics: body.metrics };
  };

  it('answers a digest-pinned ref from the cache the second time, with the same verdict', async () => {
    const pinned = 'oci:demo/store@sha256:f3e231f14ab794ff09fb42e271f3e2f19fc57ca535129e634cf3f6f13db3de99';
    const cold = await ask(pinned);
    expect(cold.allow).toBe(true);
    expect(cold.metrics.counter_server_query_cache_hit ?? 0).toBe(0);
    const first = cold;
    const warm = await ask(pinned);
    expect(warm).toMatchObject({ allow: true, digest: first.digest });
    expect(warm.metrics.counter_server_query_cache_hit).toBe(1);
    expect(svc.cache.stats().size).toBeGreaterThanOrEqual(1);
  });

  it('answers a tag ref from the decision cached for the digest it points at, naming that digest', async () => {
    const byDigest = await ask('oci:demo/store@sha256:121d328acc440f49e9ad4d2e2c54cc9d4674589f479276aaf180bdbbe124c9d9');
    expect(byDigest.allow).toBe(false);
    const byTag = await ask('oci:demo/store:unsigned');
    expect(byTag).toMatchObject({ allow: false, digest: byDigest.digest });
    expect(byTag.metrics.counter_server_query_cache_hit).toBe(1);
  });

  it('decides a moved tag afresh, never from the old digest\'s answer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmgate-moved-tag-'));
    try {
      await cp(join(ROOT, 'demo/store'), dir, { recursive: true });
      const ref = `oci:${dir}:payments`;
      const first = await ask(ref);
      expect(first.allow).toBe(true);
      const repeat = await ask(ref);
      expect(repeat).toMatchObject({ allow: true, digest: first.digest });
      expect(repeat.metrics.counter_server_query_cache_hit).toBe(1);

      // move `payments` onto the vulnerable module (and back: its old entry keeps no tag)
      const indexPath = join(dir, 'index.json');
      const index = JSON.parse(await readFile(indexPath, 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
      const tagOf = (m: { annotations?: Record<string, string> }): string | undefined => m.annotations?.['org.opencontainers.image.ref.name'];
      const payments = index.manifests.find((m) => tagOf(m) === 'payments')!;
      const vulnerable = index.manifests.find((m) => tagOf(m) === 'vulnerable')!;
      payments.annotations = { 'org.opencontainers.image.ref.name': 'old-payments' };
      vulnerable.annotations = { 'org.opencontainers.image.ref.name': 'payments' };
      await writeFile(indexPath, JSON.stringify(index));

      const moved = await ask(ref);
      expect(moved.digest).toBe(vulnerable.digest);
      expect(moved.digest).not.toBe(first.digest);
      expect(moved.allow).toBe(false);
      expect(moved.metrics.counter_server_query_cache_hit ?? 0).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
