/**
 * Every input a decision depends on, taken away one at a time: the answer is never an allow. The base is the
 * embedded default config (demo trust, demo store, shipped RustSec export) under which `payments` is allowed;
 * each case removes or breaks one input and asks again (wasmgate check, in process or as the CLI).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { MSG_SBOM, REPO, runWasmgate, checkInProcess } from '../../support/e2e.ts';
import { pushWasmModule } from '../../support/evidence.ts';

type Doc = Record<string, unknown>;
const PAYMENTS = `oci:${join(REPO, 'demo/store')}:payments`;
const UNSIGNED = `oci:${join(REPO, 'demo/store')}:unsigned`;

let work: string;
let n = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'wasmgate-fail-closed-'));
});
afterAll(async () => rm(work, { recursive: true, force: true }));

/** The embedded default with absolute demo paths and its own state directory, changed by `edit`; returns its path. */
async function demoConfig(edit: (doc: Doc) => void = () => undefined): Promise<string> {
  const doc = parse(EMBEDDED_DEFAULT_CONFIG_YAML) as Doc;
  const abs = (p: unknown): unknown => (typeof p === 'string' && p.startsWith('demo/') && !isAbsolute(p) ? join(REPO, p) : p);
  const trust = doc.trust as Doc;
  if (Array.isArray(trust.trusted_roots)) trust.trusted_roots = trust.trusted_roots.map(abs);
  (doc.vulnerability_db as Doc).path = abs((doc.vulnerability_db as Doc).path);
  doc.persistence_directory = join(work, `state-${++n}`);
  edit(doc);
  const path = join(work, `config-${n}.yaml`);
  await writeFile(path, stringify(doc));
  return path;
}

const decide = checkInProcess;

describe('fail closed: each input the decision depends on, absent', () => {
  it('the baseline: with every input present the clean module is allowed', async () => {
    const r = await decide(PAYMENTS, await demoConfig());
    expect(r.out).toMatch(/^ALLOW /);
    expect(r.code).toBe(0);
  });

  describe('vulnerability data', () => {
    it('no vulnerability_db in the config: deny (could not decide), naming the fix', async () => {
      const r = await decide(PAYMENTS, await demoConfig((d) => delete d.vulnerability_db));
      expect(r.code).toBe(2);
      expect(r.out).toMatch(/^UNDECIDED \(deny\)/);
      expect(r.out).toContain('vulnerability_db_unavailable');
      expect(r.out).toContain('vulnerability_db: {required: false}');
    });

    it('only an explicit vulnerability_db: {required: false} decides without it', async () => {
      const r = await decide(PAYMENTS, await demoConfig((d) => (d.vulnerability_db = { required: false })));
      expect(r.code).toBe(0);
    });

    it('a path that does not exist, or is not an OSV export: deny', async () => {
      const missing = await decide(PAYMENTS, await demoConfig((d) => ((d.vulnerability_db as Doc).path = join(work, 'nothing-here.zip'))));
      expect(missing.code).toBe(2);
      expect(missing.out).toContain('vulnerability_db_unavailable');
      expect(missing.out).toContain('could not be loaded');
      const junk = join(work, 'junk.zip');
      await writeFile(junk, 'not a zip');
      const corrupt = await decide(PAYMENTS, await demoConfig((d) => ((d.vulnerability_db as Doc).path = junk)));
      expect(corrupt.code).toBe(2);
      expect(corrupt.out).toContain('vulnerability_db_unavailable');
    });

    it('data older than max_age: deny as stale (a static source is as old as its newest record); required: false lets it decide', async () => {
      // the shipped export's newest record is from 2026-08-21
      const stale = await decide(PAYMENTS, await demoConfig((d) => ((d.vulnerability_db as Doc).max_age = '30d')));
      expect(stale.code).toBe(2);
      expect(stale.out).toContain('vulnerability_db_stale');
      expect(stale.out).toContain('2026-08-21');
      const optional = await decide(PAYMENTS, await demoConfig((d) => Object.assign(d.vulnerability_db as Doc, { max_age: '30d', required: false })));
      expect(optional.code).toBe(0);
    });

    it('a refresh URL that cannot be reached and nothing on disk: deny', async () => {
      const r = await decide(PAYMENTS, await demoConfig((d) => (d.vulnerability_db = { refresh: { url: 'http://127.0.0.1:9/all.zip' } })));
      expect(r.code).toBe(2);
      expect(r.out).toContain('vulnerability_db_unavailable');
    });
  });

  describe('trust roots', () => {
    it('no trust configured: nothing verifies, deny', async () => {
      const r = await decide(PAYMENTS, await demoConfig((d) => delete d.trust));
      expect(r.code).toBe(1);
      expect(r.out).toContain(MSG_SBOM);
    });

    it('a trusted root file that does not exist: wasmgate check exits 2 and never prints ALLOW', async () => {
      const r = await runWasmgate(['check', PAYMENTS, '--config', await demoConfig((d) => ((d.trust as Doc).trusted_roots = [join(work, 'no-root.json')]))]);
      expect(r.code).toBe(2);
      expect(r.stdout).not.toContain('ALLOW');
      expect(r.stderr).toContain('no-root.json');
    }, 60_000);
  });

  describe('policy bundle', () => {
    it('a configured bundle that cannot be loaded (and no last good copy): deny with no_trusted_policy', async () => {
      const r = await decide(PAYMENTS, await demoConfig((d) => (d.bundles = { policy: { resource: join(work, 'no-bundle.tar.gz') } })));
      expect(r.code).toBe(2);
      expect(r.out).toContain('no_trusted_policy');
    });
  });

  describe('wasm inspection', () => {
    it('a wasm layer that cannot be parsed: deny with wasm_inspection_failed', async () => {
      const mod = await pushWasmModule({ layoutDir: join(work, 'garbage-layout'), tag: 'garbage', wasm: new TextEncoder().encode('not wasm at all') });
      const r = await decide(mod.tagRef, await demoConfig());
      expect(r.code).toBe(2);
      expect(r.out).toContain('wasm_inspection_failed');
    }, 60_000);

    it('a module with no wasm layer (nothing to inspect): deny with wasm_inspection_failed', async () => {
      const mod = await pushWasmModule({ layoutDir: join(work, 'octet-layout'), tag: 'octet', layerMediaType: 'application/octet-stream' });
      const r = await decide(mod.tagRef, await demoConfig());
      expect(r.code).toBe(2);
      expect(r.out).toContain('wasm_inspection_failed');
      expect(r.out).toContain('has no wasm layer');
    }, 60_000);
  });

  describe('SBOM (what the scan reads)', () => {
    it('no SBOM attestation: deny', async () => {
      const r = await decide(UNSIGNED, await demoConfig());
      expect(r.code).toBe(1);
      expect(r.out).toContain(MSG_SBOM);
    });
  });
});
