/**
 * deploy/github: the producer workflow passes actionlint, and the trust config
 * beside it is accepted by wasmgate's own config and trust loaders and names
 * exactly the identities the workflow signs with.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/config/index.ts';
import { loadTrustPolicy } from '../../../src/verify/trust/load.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';

const DIR = join(import.meta.dirname, '../../../deploy/github');
const POLICY_DATA = join(import.meta.dirname, '../../../policies/data.json');

function lint(file: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(requireTool('actionlint'), ['-no-color', file], (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, out: stdout + stderr }));
  });
}

interface Workflow {
  on: { push: { branches: string[] } };
  jobs: Record<string, { uses?: string; steps?: Array<{ uses?: string; with?: Record<string, string>; run?: string }> }>;
}

describe.skipIf(missingOutsideCi('actionlint'))('deploy/github/build-wasm.yml', () => {
  it('passes actionlint', async () => {
    const r = await lint(join(DIR, 'build-wasm.yml'));
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('fails actionlint when broken (the check is real)', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'wasmgate-actionlint-'));
    try {
      const text = await readFile(join(DIR, 'build-wasm.yml'), 'utf8');
      const broken = join(tmp, 'broken.yml');
      await writeFile(broken, text.replace('needs.build.outputs.digest }}\n      registry-username', 'needs.biuld.outputs.digest }}\n      registry-username'));
      const r = await lint(broken);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/biuld/);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe('deploy/github/wasmgate-trust.yaml', () => {
  it('is a valid wasmgate config whose trust section the verifier accepts', async () => {
    const text = await readFile(join(DIR, 'wasmgate-trust.yaml'), 'utf8');
    const config = parseConfig(text, { source: 'deploy/github/wasmgate-trust.yaml', env: {} });
    expect(config.registries.allow).toContain('ghcr.io');
    expect(() => loadTrustPolicy(config.trust, { baseDir: DIR })).not.toThrow();
  });

  it('names the identities the workflow signs with, each with the role the shipped policy requires of it', async () => {
    const wf = parse(await readFile(join(DIR, 'build-wasm.yml'), 'utf8')) as Workflow;
    const trust = (parse(await readFile(join(DIR, 'wasmgate-trust.yaml'), 'utf8')) as { trust: { keyless: Array<{ subject?: string; subject_regexp?: string; roles?: string[] }> } }).trust;
    const data = JSON.parse(await readFile(POLICY_DATA, 'utf8')) as { wasm: { sbom: { config: Record<string, unknown> } } };
    // one source of truth: the bundle's data does not repeat the identities
    expect(Object.keys(data.wasm.sbom.config)).toEqual(['inspection']);

    // The build job signs as build-wasm.yml at the branch the workflow runs on.
    const branch = wf.on.push.branches[0];
    const buildIdentity = trust.keyless[0]?.subject ?? '';
    expect(buildIdentity).toMatch(new RegExp(`/\\.github/workflows/build-wasm\\.yml@refs/heads/${branch}$`));
    expect(trust.keyless[0]?.roles).toEqual(['sbom', 'signature']);

    // The provenance is signed by the generator workflow the provenance job calls, at its tag.
    const uses = wf.jobs.provenance?.uses ?? '';
    const [path, tag] = uses.split('@');
    const generatorIdentity = `https://github.com/${path}@refs/tags/${tag}`;
    expect(generatorIdentity).toMatch(new RegExp(`^${trust.keyless[1]?.subject_regexp ?? 'x'}$`));
    expect(trust.keyless[1]?.roles).toEqual(['provenance']);

    // cosign v3 is what signs.
    const installer = wf.jobs.build?.steps?.find((s) => s.uses?.startsWith('sigstore/cosign-installer@'));
    expect(installer?.with?.['cosign-release']).toMatch(/^v3\./);
  });
});
