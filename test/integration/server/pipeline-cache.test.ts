/**
 * The real pipeline behind the service caches decisions for digest-pinned refs: the second ask is served from
 * the cache (OPA's counter_server_query_cache_hit), and a tag ref is decided afresh each time.
 */
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
    const first = await ask('oci:demo/store:payments');
    expect(first.allow).toBe(true);
    const pinned = `oci:demo/store@${first.digest}`;
    const cold = await ask(pinned);
    expect(cold.metrics.counter_server_query_cache_hit ?? 0).toBe(0);
    const warm = await ask(pinned);
    expect(warm).toMatchObject({ allow: true, digest: first.digest });
    expect(warm.metrics.counter_server_query_cache_hit).toBe(1);
    expect(svc.cache.stats().size).toBeGreaterThanOrEqual(1);
  });

  it('never serves a tag ref from the cache (a tag can move)', async () => {
    await ask('oci:demo/store:unsigned');
    const again = await ask('oci:demo/store:unsigned');
    expect(again.allow).toBe(false);
    expect(again.metrics.counter_server_query_cache_hit ?? 0).toBe(0);
  });
});
