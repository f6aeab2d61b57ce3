/**
 * Reliability 2 — soak: the real service (startService + createPipelineWiring: collector,
 * demo trust, vulnerability DB holder, decision cache, deadline) answering decisions over
 * HTTP for the demo module while the policy bundle is swapped (the BundleManager's file
 * source, persist on: the bundle file is replaced by rename with one of two real builds of
 * policies/ with different revisions, then triggered) and the vulnerability DB is refreshed
 * on a one-second cron from a loopback server whose export changes (new ETag) every time.
 * Zero failed requests, RSS growth under 10 % after warm-up, no file-descriptor growth.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/common/logger.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../src/config/defaults.ts';
import { parseConfig } from '../../src/config/load.ts';
import { buildBundle } from '../../src/cli/commands/bundle-build.ts';
import type { BundleManager } from '../../src/policy/bundles/index.ts';
import { embeddedBundlePath, loadBundle } from '../../src/policy/engine/index.ts';
import { createPipelineWiring } from '../../src/wiring/pipeline-wiring.ts';
import { startService, type RunningService } from '../../src/server/service.ts';
import { missingOutsideCi, requireTool } from '../support/tools.ts';
import type { ServiceWiring } from '../../src/server/wiring.ts';
import { startOsvServer, osvVariants, type OsvServer } from './support/osv-server.ts';
import { count, LONG, recorder, REPO } from './support/results.ts';

// the 100,000 (about a minute with the decision cache answering); WASMGATE_LONG=1 runs ten times more
const DECISIONS = count(100_000, 1_000_000);
const CONCURRENCY = 8;
const SWAP_EVERY = 250;
/** warm-up: several bundle swaps and DB refreshes have happened (JIT, wasm instances, pools) before RSS is taken */
const WARMUP = Math.max(1000, Math.floor(DECISIONS / 10));
const results = recorder('soak', 'Soak: decisions with bundle swaps and DB refreshes interleaved');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const rss = (): number => {
  gc();
  return process.memoryUsage().rss;
};
const fds = (): number => readdirSync('/proc/self/fd').length;

function isBundleManager(b: ServiceWiring['bundles']): b is BundleManager {
  return typeof (b as Partial<BundleManager>).trigger === 'function' && typeof (b as Partial<BundleManager>).onActivate === 'function';
}

describe.skipIf(missingOutsideCi('opa'))('soak: decisions with bundle swaps and DB refreshes', () => {
  let dir: string;
  let osv: OsvServer;
  let service: RunningService;
  let manager: BundleManager;
  let bundleFile: string;
  let builds: Uint8Array[];
  let activations = 0;
  let swaps = 0;
  let url: string;
  let ref: string;
  const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-soak-'));
    const a = await readFile(embeddedBundlePath());
    const built = await buildBundle({ out: join(dir, 'b.tar.gz'), revision: 'soak-b', opa: requireTool('opa') });
    const b = await readFile(built.out);
    expect((await loadBundle(b)).revision).not.toBe((await loadBundle(a)).revision);
    builds = [a, b];
    bundleFile = join(dir, 'soak.tar.gz');
    await writeFile(bundleFile, a);
    osv = await startOsvServer(osvVariants(join(REPO, 'demo/osv/rustsec-osv-all.zip'), 3));
    const yaml = EMBEDDED_DEFAULT_CONFIG_YAML.replace(
      'vulnerability_db:\n  path: demo/osv/rustsec-osv-all.zip',
      `vulnerability_db:\n  path: demo/osv/rustsec-osv-all.zip\n  refresh: {url: "${osv.url}", schedule: "* * * * * *"}`,
    ).replace('persistence_directory: .wasmgate', `persistence_directory: ${join(dir, 'state')}\nbundles: {soak: {resource: "${bundleFile}", persist: true, trigger: manual}}`);
    const config = parseConfig(yaml, { overrides: { addr: '127.0.0.1:0' } });
    expect(config.vulnerability_db.refresh.url).toBe(osv.url);
    service = await startService({
      config,
      logger: createSilentLogger(),
      env: {},
      wire: async (ctx) => {
        const wiring = await createPipelineWiring({ baseDir: REPO })(ctx);
        if (!isBundleManager(wiring.bundles)) throw new Error('the pipeline wiring no longer exposes its BundleManager');
        manager = wiring.bundles;
        return wiring;
      },
    });
    manager.onActivate(() => {
      activations++;
    });
    const tcp = service.listeners.find((l) => l.target.kind === 'tcp')!;
    url = `http://${tcp.address}/v1/data/wasm/sbom`;
    const index = JSON.parse(await readFile(join(REPO, 'demo/store/index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
    const digest = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'payments')!.digest;
    ref = `oci:${join(REPO, 'demo/store')}@${digest}`;
  }, 120_000);

  afterAll(async () => {
    results.flush();
    await service?.stop();
    await agent.close();
    await osv?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`answers ${DECISIONS.toLocaleString('en')} decisions without a failure while bundles swap and the DB refreshes`, async () => {
    const body = JSON.stringify({ input: { module: { ref }, request: { runtime: 'wasmtime' } } });
    const failures: string[] = [];
    let done = 0;
    let warm: { rss: number; fds: number } | null = null;
    const one = async (): Promise<void> => {
      try {
        const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
        const text = await res.body.text();
        if (res.statusCode !== 200) failures.push(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
        else {
          const r = JSON.parse(text) as { result?: { allow?: unknown; deny?: unknown } };
          if (r.result?.allow !== true) failures.push(`not allowed: ${text.slice(0, 300)}`);
        }
      } catch (err) {
        failures.push(`request failed: ${String(err)}`);
      }
    };
    let nextSwap = SWAP_EVERY;
    while (done < DECISIONS) {
      const batch = Math.min(CONCURRENCY, DECISIONS - done);
      await Promise.all(Array.from({ length: batch }, one));
      done += batch;
      if (done >= nextSwap) {
        // replace the bundle file the way deploy tools do (write, rename), then check it now
        swaps++;
        const tmp = `${bundleFile}.tmp`;
        await writeFile(tmp, builds[swaps % 2]!);
        await rename(tmp, bundleFile);
        await manager.trigger('soak');
        nextSwap += SWAP_EVERY;
      }
      if (warm === null && done >= WARMUP) {
        warm = { rss: rss(), fds: fds() };
        console.log(`soak warm-up done at ${done}: heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB, external ${(process.memoryUsage().external / 2 ** 20).toFixed(1)} MiB`);
      }
    }
    // let a refresh in flight finish before the last measurement
    await new Promise((r) => setTimeout(r, 200));
    const end = { rss: rss(), fds: fds() };
    console.log(`soak end: heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB, external ${(process.memoryUsage().external / 2 ** 20).toFixed(1)} MiB`);
    const growth = (end.rss - warm!.rss) / warm!.rss;
    const status = (await (await fetch(url.replace('/v1/data/wasm/sbom', '/v1/status'))).json()) as unknown;
    console.log(`soak: ${done} decisions, ${swaps} bundle swaps (${activations} activations), ${osv.downloads} DB downloads; RSS ${(warm!.rss / 2 ** 20).toFixed(1)} → ${(end.rss / 2 ** 20).toFixed(1)} MiB (${(growth * 100).toFixed(1)} %), fds ${warm!.fds} → ${end.fds}`);
    void status;

    results.record({ scenario: 'decisions over HTTP (demo module, real pipeline wiring)', unit: 'decisions', count: done, failures: failures.length, checks: 'every answer HTTP 200 and allow: true', ...(failures[0] ? { first_failure: failures[0] } : {}) });
    results.record({ scenario: 'bundle swaps during the decisions', unit: 'swaps', count: swaps, failures: activations >= swaps ? 0 : swaps - activations, checks: `BundleManager file source (persist on): every ${SWAP_EVERY} decisions the file is replaced by one of two builds of policies/ with different revisions and triggered; every swap activated` });
    results.record({ scenario: 'vulnerability DB refreshes during the decisions', unit: 'run', count: 1, failures: osv.downloads > 0 ? 0 : 1, checks: 'one-second refresh cron against a loopback export whose ETag changes every fetch; new exports downloaded and swapped in during the run (how many depends on run time)' });
    results.record({ scenario: 'RSS growth after warm-up', unit: 'run', count: 1, failures: growth < 0.1 ? 0 : 1, checks: 'RSS (after gc) at the end within 10 % of RSS after warm-up' });
    results.record({ scenario: 'file descriptors', unit: 'run', count: 1, failures: end.fds <= warm!.fds + 2 ? 0 : 1, checks: '/proc/self/fd count at the end not above the count after warm-up (+2 for sockets closing)' });

    expect(failures.slice(0, 5)).toEqual([]);
    expect(swaps).toBeGreaterThan(0);
    expect(activations).toBeGreaterThanOrEqual(swaps);
    expect(osv.downloads).toBeGreaterThan(0);
    expect(growth).toBeLessThan(0.1);
    expect(end.fds).toBeLessThanOrEqual(warm!.fds + 2);
  }, LONG ? 4 * 3_600_000 : 600_000);
});
