import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { createBundleManager, type BundleManager } from '../../../src/policy/bundles/index.ts';
import { startService } from '../../../src/server/service.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import { opaBuild, tempDir } from './support.ts';

const DECISIONS = 2000;
const SWAP_EVERY_MS = 50;

/**
 * Replaces `target` with the a/b bundle alternately every 50 ms (write to a temp
 * file, then rename, as a deploy tool would) until stopped; counts the swaps.
 */
function startSwapper(target: string, a: Uint8Array, b: Uint8Array): { stop(): Promise<number> } {
  let stopped = false;
  let swaps = 0;
  const loop = (async () => {
    while (!stopped) {
      await sleep(SWAP_EVERY_MS);
      const tmp = `${target}.${swaps}.tmp`;
      await writeFile(tmp, swaps % 2 === 0 ? b : a);
      await rename(tmp, target);
      swaps++;
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return swaps;
    },
  };
}

/** The policy each revision's bundle was built from: rev-a-* → "a", rev-b-* → "b". */
const policyOf = (revision: string): string => revision.split('-')[1] as string;

describe.skipIf(missingOutsideCi('opa'))('swapping the bundle under load', () => {
  let dir: string;
  let a: Uint8Array;
  let b: Uint8Array;

  beforeAll(async () => {
    dir = await tempDir('swap');
    a = await opaBuild({ fixture: 'swap-a', revision: 'rev-a-1', out: join(dir, 'a.tar.gz'), selftests: true });
    b = await opaBuild({ fixture: 'swap-b', revision: 'rev-b-1', out: join(dir, 'b.tar.gz'), selftests: true });
  });

  const startManager = async (target: string): Promise<BundleManager> => {
    await writeFile(target, a);
    const manager = createBundleManager({
      config: { bundles: { swap: { resource: target, persist: false, size_limit_bytes: 16 * 1024 * 1024, trigger: 'periodic' } } },
      debounceMs: 5,
    });
    await manager.start();
    expect(manager.active()?.revision).toBe('rev-a-1');
    return manager;
  };

  it(`answers ${DECISIONS}+ decisions through the manager while the file changes every ${SWAP_EVERY_MS} ms, each from exactly one revision`, async () => {
    const target = join(dir, 'direct.tar.gz');
    const manager = await startManager(target);
    const activations: string[] = [];
    manager.onActivate((e) => activations.push(e.bundle.revision));
    const swapper = startSwapper(target, a, b);
    const decisions: Array<{ revision: string; policy: unknown; allow: unknown }> = [];
    let failures = 0;
    const worker = async (): Promise<void> => {
      while (decisions.length < DECISIONS || activations.length < 10) {
        // a decision takes the active bundle once, then does async work (evidence) before evaluating on it
        const bundle = manager.active();
        await sleep(1);
        try {
          if (bundle === null) throw new Error('no active bundle');
          const r = bundle.evaluate('swap/answer', { n: 1 });
          if (!r.defined) throw new Error('undefined');
          const result = r.result as { policy: unknown; allow: unknown };
          decisions.push({ revision: bundle.revision, policy: result.policy, allow: result.allow });
        } catch {
          failures++;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const swaps = await swapper.stop();
    await manager.stop();

    expect(failures).toBe(0);
    expect(decisions.length).toBeGreaterThanOrEqual(DECISIONS);
    expect(swaps).toBeGreaterThanOrEqual(10);
    expect(activations.length).toBeGreaterThanOrEqual(10);
    const revisions = new Set(decisions.map((d) => d.revision));
    expect(revisions).toEqual(new Set(['rev-a-1', 'rev-b-1']));
    for (const d of decisions) {
      expect(d.policy).toBe(policyOf(d.revision));
      expect(d.allow).toBe(d.policy === 'a');
    }
  });

  it(`answers ${DECISIONS}+ HTTP requests with zero failures; every decision log event names the revision that produced its result`, async () => {
    const target = join(dir, 'http.tar.gz');
    const manager = await startManager(target);
    const logFile = join(dir, 'decisions.jsonl');
    const config = parseConfig(`decision_logs: {file: ${JSON.stringify(logFile)}, console: false}\n`, { overrides: { addr: '127.0.0.1:0' } });
    const service = await startService({
      config,
      logger: createSilentLogger(),
      env: {},
      wire: async () => ({ decider: createFakeDecider(), bundles: manager, versions: () => null }),
    });
    const tcp = service.listeners.find((l) => l.target.kind === 'tcp');
    const url = `http://${tcp?.address}/v1/data/swap/answer`;
    let activations = 0;
    manager.onActivate(() => activations++);
    const swapper = startSwapper(target, a, b);
    let sent = 0;
    let failures = 0;
    const worker = async (): Promise<void> => {
      while (sent < DECISIONS || activations < 10) {
        sent++;
        const res = await request(url, { method: 'POST', body: JSON.stringify({ input: { n: 1 } }), headers: { 'content-type': 'application/json' } });
        const body = await res.body.json() as { result?: { policy?: string } };
        if (res.statusCode !== 200 || body.result?.policy === undefined) failures++;
      }
    };
    try {
      await Promise.all(Array.from({ length: 8 }, worker));
    } finally {
      await swapper.stop();
      await service.stop();
      await manager.stop();
    }
    expect(failures).toBe(0);
    const events = (await readFile(logFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { result?: { policy: string; allow: boolean }; bundles?: Record<string, { revision: string }> });
    const decided = events.filter((e) => e.result !== undefined);
    expect(decided.length).toBe(sent);
    const seen = new Set<string>();
    for (const e of decided) {
      const revs = Object.values(e.bundles ?? {}).map((x) => x.revision);
      expect(revs).toHaveLength(1);
      seen.add(revs[0] as string);
      expect(e.result?.policy).toBe(policyOf(revs[0] as string));
      expect(e.result?.allow).toBe(e.result?.policy === 'a');
    }
    expect(seen).toEqual(new Set(['rev-a-1', 'rev-b-1']));
  });
});
