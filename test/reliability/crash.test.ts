/**
 * Reliability 4 — crash safety: a child process persists policy bundles (BundleManager, file
 * source, persist: true) or refreshes the vulnerability DB (VulnDatabase, a changing export from a
 * loopback server) in a loop and is killed with SIGKILL at a random point (fixed seed). On
 * restart the last good bundle / DB is active: a BundleManager whose source is gone activates the
 * persisted bundle (one of the two builds, byte for byte), a VulnDatabase opens the persisted
 * export (one of the served versions) — never a half-written file.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOsvDatabase, entriesFromZip } from '../../src/analyse/vulns/database.ts';
import { VulnDatabase } from '../../src/analyse/vulns/holder.ts';
import { buildBundle } from '../../src/cli/commands/bundle-build.ts';
import { parseConfig } from '../../src/config/load.ts';
import { createBundleManager, loadPersistedBundle } from '../../src/policy/bundles/index.ts';
import { embeddedBundlePath, loadBundle } from '../../src/policy/engine/index.ts';
import { missingOutsideCi, requireTool } from '../support/tools.ts';
import { osvVariants, startOsvServer, type OsvServer } from './support/osv-server.ts';
import { count, prng, recorder, REPO } from './support/results.ts';

const KILLS = count(12, 200);
const CHILD = join(import.meta.dirname, 'support', 'crash-child.ts');
const results = recorder('crash', 'Crash safety: kill -9 during bundle persistence and DB refresh');

interface Run {
  steps: string[];
  ready: boolean;
  stderr: string;
}

/** Starts the child, waits until it is ready, lets it run `ms`, then SIGKILLs it. */
async function runAndKill(args: string[], ms: number): Promise<Run> {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { steps: [], ready: false, stderr: '' };
  let buf = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line === 'ready') {
        run.ready = true;
        onReady();
      } else run.steps.push(line);
    }
  });
  child.stderr.on('data', (d: Buffer) => {
    run.stderr = (run.stderr + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([ready, exited, new Promise((r) => setTimeout(r, 30_000))]);
  if (run.ready) await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  await exited;
  return run;
}

describe.skipIf(missingOutsideCi('opa'))('crash safety', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-crash-'));
  });
  afterAll(async () => {
    results.flush();
    await rm(dir, { recursive: true, force: true });
  });

  it(`keeps the last good bundle across ${KILLS} kill -9s during persistence`, async () => {
    const a = await readFile(embeddedBundlePath());
    const bPath = join(dir, 'b.tar.gz');
    await buildBundle({ out: bPath, revision: 'crash-b', opa: requireTool('opa') });
    const b = await readFile(bPath);
    const aPath = join(dir, 'a.tar.gz');
    await writeFile(aPath, a);
    const revisions = new Set([(await loadBundle(a)).revision, (await loadBundle(b)).revision]);
    const persistDir = join(dir, 'bundle-state');
    const bundleFile = join(dir, 'live.tar.gz');
    await writeFile(bundleFile, a);
    const rnd = prng(4242);
    const failures: string[] = [];
    let steps = 0;
    for (let k = 0; k < KILLS; k++) {
      const run = await runAndKill(['bundle', persistDir, bundleFile, aPath, bPath], 20 + Math.floor(rnd() * 400));
      if (!run.ready) {
        failures.push(`kill ${k}: the child never became ready: ${run.stderr}`);
        continue;
      }
      steps += run.steps.length;
      // the persisted copy is one of the two builds, byte for byte
      const persisted = await loadPersistedBundle(persistDir, 'crash');
      if (persisted === undefined) {
        if (steps > 0) failures.push(`kill ${k}: nothing persisted after ${steps} activations`);
        continue;
      }
      if (!(Buffer.from(persisted).equals(a) || Buffer.from(persisted).equals(b))) failures.push(`kill ${k}: the persisted bundle is neither build (${persisted.byteLength} bytes)`);
      // restart without the source: the manager activates the persisted bundle
      const config = parseConfig(`bundles: {crash: {resource: "${join(dir, 'gone.tar.gz')}", persist: true, trigger: manual}}\npersistence_directory: "${persistDir}"\n`);
      const manager = createBundleManager({ config: { bundles: config.bundles, persistence_directory: persistDir }, load: { requiredEntrypoints: ['wasm/sbom'] }, embedded: false });
      try {
        await manager.start();
        const active = manager.active();
        if (active === null) failures.push(`kill ${k}: no bundle active after restart`);
        else if (!revisions.has(active.revision)) failures.push(`kill ${k}: active revision ${active.revision} is neither build`);
        else if (active.evaluate('wasm/sbom/allow', {}).defined !== true) failures.push(`kill ${k}: the restored bundle does not evaluate`);
      } finally {
        await manager.stop();
      }
    }
    results.record({ scenario: 'kill -9 during bundle persistence (BundleManager, persist: true)', unit: 'kills', count: KILLS, failures: failures.length, checks: 'after each kill the persisted bundle is one of the two builds byte for byte, and a restarted BundleManager with its source gone activates it', ...(failures[0] ? { first_failure: failures[0] } : {}) });
    expect(steps).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  }, 600_000);

  it(`keeps the last good vulnerability DB across ${KILLS} kill -9s during refresh`, async () => {
    const variants = osvVariants(join(REPO, 'demo/osv/rustsec-osv-all.zip'), 3);
    const versions = new Set(variants.map((v) => buildOsvDatabase(entriesFromZip(v)).info.version));
    const osv: OsvServer = await startOsvServer(variants);
    const persistDir = join(dir, 'db-state');
    const rnd = prng(4343);
    const failures: string[] = [];
    let steps = 0;
    try {
      for (let k = 0; k < KILLS; k++) {
        const run = await runAndKill(['db', persistDir, osv.url], 20 + Math.floor(rnd() * 600));
        if (!run.ready) {
          failures.push(`kill ${k}: the child never became ready: ${run.stderr}`);
          continue;
        }
        steps += run.steps.length;
        const db = await VulnDatabase.open({ persistenceDirectory: persistDir });
        try {
          const s = db.status();
          if (db.current === null) {
            if (steps > 0) failures.push(`kill ${k}: no DB after restart although ${steps} refreshes completed`);
          } else if (!versions.has(db.version)) failures.push(`kill ${k}: restored version ${db.version} was never served`);
          else if (s.state !== 'OK') failures.push(`kill ${k}: restored DB state ${s.state} ${s.last_error ?? ''}`);
        } finally {
          await db.stop();
        }
      }
    } finally {
      await osv.stop();
    }
    results.record({ scenario: 'kill -9 during vulnerability DB refresh (VulnDatabase)', unit: 'kills', count: KILLS, failures: failures.length, checks: 'after each kill a restarted VulnDatabase opens the persisted export: one of the versions served, state OK', ...(failures[0] ? { first_failure: failures[0] } : {}) });
    expect(steps).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  }, 600_000);
});
