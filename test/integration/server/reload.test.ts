/**
 * SIGHUP reloads the config file of a running `wasmgate serve` (a real process): trust, registries and database
 * settings swap under load without a failed request; a file that does not parse or build is refused and the
 * running config stays; sections that need a restart are named.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, spawnProcess, waitFor, WASMGATE, type Spawned } from './helpers.ts';

const BUILD_IDENTITY = `    - subject: https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main
      issuer: https://token.actions.githubusercontent.com
`;
const SLSA_IDENTITY = `    - subject_regexp: 'https://github\\.com/slsa-framework/slsa-github-generator/\\.github/workflows/generator_(generic|container)_slsa3\\.yml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+'
      issuer: https://token.actions.githubusercontent.com
`;

const configText = (o: { addr: string; identities: string; extra?: string }): string => `
decision:
  paths: [wasm/sbom]
  deadline_ms: 20000
listeners:
  tcp: "${o.addr}"
  unix: null
registries:
  allow: []
  layouts: [${join(ROOT, 'demo', 'store')}]
trust:
  keyless:
${o.identities}  trusted_roots: [${join(ROOT, 'demo', 'trusted_root.json')}]
vulnerability_db:
  path: ${join(ROOT, 'demo', 'osv', 'rustsec-osv-all.zip')}
  max_age: null  # the demo's frozen RustSec export
persistence_directory: ${join(ROOT, '.wasmgate')}
${o.extra ?? ''}`;

describe('wasmgate serve reloads its config on SIGHUP', () => {
  let dir: string;
  let file: string;
  let addr: string;
  let proc: Spawned;

  const ask = async (ref = 'oci:demo/store:payments'): Promise<{ status: number; result: unknown }> => {
    const res = await fetch(`http://${addr}/v1/data/wasm/sbom/allow`, { method: 'POST', body: JSON.stringify({ input: { module: { ref } } }) });
    return { status: res.status, result: ((await res.json()) as { result?: unknown }).result };
  };
  const hup = (): boolean => proc.child.kill('SIGHUP');
  const logged = (text: string): Promise<void> => waitFor(() => proc.output().includes(text), `log line "${text}"`, proc.output);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-reload-'));
    file = join(dir, 'wasmgate.yaml');
    addr = `127.0.0.1:${await freePort()}`;
    await writeFile(file, configText({ addr, identities: BUILD_IDENTITY + SLSA_IDENTITY }));
    proc = spawnProcess(process.execPath, [WASMGATE, 'serve', '--config', file]);
    await waitFor(async () => (await fetch(`http://${addr}/health`)).ok, 'wasmgate serve', proc.output);
  });
  afterAll(async () => {
    proc?.child.kill('SIGTERM');
    await proc?.exited;
  });

  it('swaps trust under load with no failed request, and later decisions use the new trust', async () => {
    expect(await ask()).toEqual({ status: 200, result: true });
    // a digest-pinned ref is cached: a trust change must drop that cached allow
    const pinned = `oci:demo/store@sha256:f3e231f14ab794ff09fb42e271f3e2f19fc57ca535129e634cf3f6f13db3de99`;
    expect(await ask(pinned)).toEqual({ status: 200, result: true });
    let stop = false;
    const answers: Array<{ status: number; result: unknown }> = [];
    const failures: string[] = [];
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          answers.push(await ask());
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const load = Array.from({ length: 4 }, worker);
    await new Promise((r) => setTimeout(r, 300));
    // the build pipeline's identity is no longer trusted: payments' SBOM no longer verifies
    await writeFile(file, configText({ addr, identities: SLSA_IDENTITY }));
    hup();
    await logged('"applied":["trust"]');
    await waitFor(async () => (await ask()).result === false, 'the new trust to decide', proc.output);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(load);
    expect(failures).toEqual([]);
    expect(answers.length).toBeGreaterThan(4);
    expect(answers.every((a) => a.status === 200 && typeof a.result === 'boolean')).toBe(true);
    expect(answers.at(-1)?.result).toBe(false);
    expect(await ask(pinned)).toEqual({ status: 200, result: false });
  });

  it('refuses a file that is not valid YAML and keeps the running config', async () => {
    await writeFile(file, 'trust: [unclosed\n');
    hup();
    await logged('CONFIG_PARSE_ERROR');
    expect(proc.output()).toContain('configuration reload refused, the running configuration stays');
    expect(await ask()).toEqual({ status: 200, result: false });
  });

  it('refuses a trust section that does not build (a key file that is not there) and keeps the running config', async () => {
    await writeFile(file, configText({ addr, identities: BUILD_IDENTITY + SLSA_IDENTITY, extra: '' }).replace('trust:\n', `trust:\n  keys:\n    - path: ${join(dir, 'missing.pub')}\n`));
    hup();
    await waitFor(() => proc.output().split('configuration reload refused').length >= 3, 'the second refusal', proc.output);
    expect(await ask()).toEqual({ status: 200, result: false });
  });

  it('restores the trust and names the sections that need a restart', async () => {
    const other = `127.0.0.1:${await freePort()}`;
    await writeFile(file, configText({ addr: other, identities: BUILD_IDENTITY + SLSA_IDENTITY }));
    hup();
    await logged('take effect only after a restart: listeners');
    expect(await ask()).toEqual({ status: 200, result: true });
  });
});
