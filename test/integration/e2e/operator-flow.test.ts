/**
 * The operator's flow of README "Operating the policy" (issues 13.4 and 20.2), with the real CLI, the real opa and
 * the demo store: change who may sign what in the config's trust (roles and identities), change the policy data,
 * `wasmgate bundle build --out`, point `bundles:` at the result, and `wasmgate check` allows or denies as it
 * should, saying why; a bundle that fails its self-tests is refused, and `check` and `serve` say why.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToTarGz } from '../../../src/policy/bundles/tar.ts';
import { MSG_PROVENANCE, MSG_SBOM, REPO, WASMGATE_BIN, runWasmgate } from '../../support/e2e.ts';
import { freePort } from '../../support/registries.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';

const GHA = 'https://token.actions.githubusercontent.com';
const BUILD = 'https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main';
const GENERATOR = 'https://github\\.com/slsa-framework/slsa-github-generator/\\.github/workflows/generator_generic_slsa3\\.yml@refs/tags/v[0-9.]+';
const ref = (tag: string): string => `oci:${join(REPO, 'demo', 'store')}:${tag}`;

describe.skipIf(missingOutsideCi('opa'))('operator flow: change trust and policy data, build, point bundles: at it, check', () => {
  let dir: string;
  let bundle: string;
  let strictBundle: string;
  let refusedBundle: string;

  /** A config for the demo store: the given keyless trust, a bundle (none: the shipped one). */
  const config = async (name: string, keyless: unknown[], bundlePath?: string): Promise<string> => {
    const doc = {
      registries: { allow: [], layouts: [join(REPO, 'demo', 'store')] },
      trust: { keyless, trusted_roots: [join(REPO, 'demo', 'trusted_root.json')] },
      vulnerability_db: { path: join(REPO, 'demo', 'osv', 'rustsec-osv-all.zip'), max_age: null }, // the demo's frozen export
      persistence_directory: join(dir, `persist-${name}`),
      decision_logs: { console: false },
      ...(bundlePath ? { bundles: { mine: { resource: bundlePath, persist: false } } } : {}),
    };
    const p = join(dir, `${name}.yaml`);
    await writeFile(p, JSON.stringify(doc, null, 2));
    return p;
  };
  const build = (policies: string, out: string) => runWasmgate(['bundle', 'build', '--policies', policies, '--out', out, '--opa', requireTool('opa')]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-operator-'));
    // 1. the operator's copy of policies/, built as is and with a stricter data.json
    await cp(join(REPO, 'policies'), join(dir, 'policies'), { recursive: true });
    bundle = join(dir, 'build', 'wasm-sbom.tar.gz');
    const built = await build(join(dir, 'policies'), bundle);
    if (built.code !== 0) throw new Error(built.stderr);
    expect(built.stdout).toContain('case(s) passed');

    await cp(join(REPO, 'policies'), join(dir, 'strict'), { recursive: true });
    const data = JSON.parse(await readFile(join(dir, 'strict', 'data.json'), 'utf8')) as { wasm: { sbom: { config: { inspection: Record<string, unknown> } } } };
    data.wasm.sbom.config.inspection.forbidden_imports = ['wasi:http/'];
    await writeFile(join(dir, 'strict', 'data.json'), JSON.stringify(data, null, 2));
    strictBundle = join(dir, 'build', 'strict.tar.gz');
    const strict = await build(join(dir, 'strict'), strictBundle);
    if (strict.code !== 0) throw new Error(strict.stderr);

    // a bundle whose self-tests fail (made past `bundle build`, which would refuse it)
    refusedBundle = join(dir, 'build', 'refused.tar.gz');
    const failing = { name: 'operator expects unsigned modules to load', path: 'wasm/sbom/allow', input: {}, expect: true };
    await writeFile(refusedBundle, appendToTarGz(await readFile(bundle), new Map([['tests/operator.json', new TextEncoder().encode(JSON.stringify(failing))]])));
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the operator\'s bundle with roles in the trust: allows the clean module, denies the others', async () => {
    const cfg = await config('roles', [
      { subject: BUILD, issuer: GHA, roles: ['sbom', 'signature'] },
      { subject_regexp: GENERATOR, issuer: GHA, roles: ['provenance'] },
    ], bundle);
    const ok = await runWasmgate(['check', ref('payments'), '--config', cfg]);
    expect(ok.stdout).toMatch(/^ALLOW /);
    expect(ok.code).toBe(0);
    const vulnerable = await runWasmgate(['check', ref('vulnerable'), '--config', cfg]);
    expect(vulnerable.code).toBe(1);
    expect(vulnerable.stdout).toContain('RUSTSEC-2021-0003 (Critical');
  });

  it('changed policy data (a forbidden import) denies the same module with the new reason', async () => {
    const cfg = await config('strict', [
      { subject: BUILD, issuer: GHA, roles: ['sbom', 'signature'] },
      { subject_regexp: GENERATOR, issuer: GHA, roles: ['provenance'] },
    ], strictBundle);
    const r = await runWasmgate(['check', ref('payments'), '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('imports wasi:http/types@0.2.0#[method]incoming-request.method, a capability the operator forbids (wasi:http/)');
  });

  it('a changed identity (the build moved to another repository) denies the old signer, naming it and why', async () => {
    const cfg = await config('moved', [
      { subject: 'https://github.com/neworg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main', issuer: GHA, roles: ['sbom', 'signature'] },
      { subject_regexp: GENERATOR, issuer: GHA, roles: ['provenance'] },
    ], bundle);
    const r = await runWasmgate(['check', ref('payments'), '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`  - ${MSG_SBOM}\n`);
    expect(r.stdout).not.toContain(MSG_PROVENANCE);
    expect(r.stdout).toContain(`signer ${BUILD} (issuer ${GHA}): rejected, identity_mismatch:`);
  });

  it('roles swapped between the two identities: both attestations are verified but count for nothing', async () => {
    const cfg = await config('swapped', [
      { subject: BUILD, issuer: GHA, roles: ['provenance'] },
      { subject_regexp: GENERATOR, issuer: GHA, roles: ['sbom'] },
    ], bundle);
    const r = await runWasmgate(['check', ref('payments'), '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`signer ${BUILD} (issuer ${GHA}): verified, but the trust configuration gives this signer the roles provenance, not sbom`);
    expect(r.stdout).toContain(MSG_PROVENANCE);
  });

  it('a bundle that fails its self-tests is refused, and check says why (exit 2)', async () => {
    const cfg = await config('refused', [{ subject: BUILD, issuer: GHA, roles: ['sbom', 'signature'] }], refusedBundle);
    const r = await runWasmgate(['check', ref('payments'), '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('no_trusted_policy: no active policy bundle answers wasm/sbom');
    expect(r.stdout).toContain('bundle mine was refused: BUNDLE_SELFTEST_FAILED: bundle mine: 1 of 6 self-test case(s) failed (operator expects unsigned modules to load: wasm/sbom/allow is false, expected true)');
    // evidence still shows how each piece verifies, and why no policy answered
    const ev = await runWasmgate(['evidence', ref('payments'), '--config', cfg]);
    expect(ev.code).toBe(0);
    expect(ev.stdout).toContain('- sbom_attestations: VERIFIED for sbom, signature  https://cyclonedx.org/bom');
    expect(ev.stdout).toContain('policy: UNDECIDED (deny)');
    expect(ev.stdout).toContain('bundle mine was refused: BUNDLE_SELFTEST_FAILED');
  });

  it('serve logs why the bundle was refused, and answers with the reason in the deny', async () => {
    const cfg = await config('refused-serve', [{ subject: BUILD, issuer: GHA, roles: ['sbom', 'signature'] }], refusedBundle);
    const port = await freePort();
    const child = spawn(process.execPath, [WASMGATE_BIN, 'serve', '--config', cfg, '--addr', `127.0.0.1:${port}`], { env: { ...process.env, WASMGATE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    try {
      const until = Date.now() + 30_000;
      while (!out.includes('wasmgate is serving')) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`serve did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(out).toContain('BUNDLE_SELFTEST_FAILED');
      expect(out).toContain('operator expects unsigned modules to load');
      const res = await fetch(`http://127.0.0.1:${port}/v1/data/wasm/sbom`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: ref('payments') } } }) });
      const body = await res.json() as { result: { allow: boolean; deny: string[] } };
      expect(body.result.allow).toBe(false);
      expect(body.result.deny.join('\n')).toContain('bundle mine was refused: BUNDLE_SELFTEST_FAILED');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('serve --log-decisions writes each decision as a console decision-log event, without a config file (issue 20.3)', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [WASMGATE_BIN, 'serve', '--log-decisions', '--addr', `127.0.0.1:${port}`], { env: { ...process.env, WASMGATE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    try {
      const until = Date.now() + 30_000;
      while (!out.includes('wasmgate is serving')) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`serve did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const res = await fetch(`http://127.0.0.1:${port}/v1/data/wasm/sbom`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: 'oci:demo/store:unsigned' } } }) });
      const { decision_id: id } = await res.json() as { decision_id: string };
      while (!out.includes(`"decision_id":"${id}"`)) {
        if (Date.now() > until) throw new Error(`no decision-log event for ${id}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const event = JSON.parse(out.split('\n').find((l) => l.includes(`"decision_id":"${id}"`)) ?? '{}') as { path?: string; result?: { deny?: string[] } };
      expect(event.path).toBe('wasm/sbom');
      expect(event.result?.deny).toContain(MSG_SBOM);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
