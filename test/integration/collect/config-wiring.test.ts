/**
 * The config keys that steer collection reach the collector inside the service pipeline (createPipelineWiring):
 * `registries.signature_repositories` (cosign's COSIGN_REPOSITORY) and `registries.docker_config` (a Docker
 * config.json at any path, relative to the config file). Real peers: wasmgate-testregistry behind the token-auth
 * front, a module pushed with oras and signed/attested with cosign into another repository.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { createDecisionCache } from '../../../src/decide/cache.ts';
import type { Decision } from '../../../src/decide/types.ts';
import { createPipelineWiring } from '../../../src/wiring/pipeline-wiring.ts';
import { createMetrics } from '../../../src/status/metrics.ts';
import { createStatusRegistry } from '../../../src/status/registry.ts';
import { CYCLONEDX_FIXTURE, cosignAttest, cosignSign, createCosignKey, pushWasmModule, type PushedModule } from '../../support/evidence.ts';
import { startTestRegistry, startTokenAuthFront, type RunningRegistry, type TokenAuthFront } from '../../support/registries.ts';
import { missingOutsideCi } from '../../support/tools.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const PASSWORD = 'wiring-Pa55word';

describe.skipIf(missingOutsideCi('oras', 'cosign', 'wasmgate-testregistry'))('registries.signature_repositories and registries.docker_config in the service pipeline', () => {
  let upstream: RunningRegistry;
  let front: TokenAuthFront;
  let mod: PushedModule;
  let dir: string;
  /** the credentials file, relative to the config's base directory (ROOT here) */
  let credsPath: string;

  beforeAll(async () => {
    upstream = await startTestRegistry();
    front = await startTokenAuthFront({ upstream: upstream.host, users: { carol: PASSWORD } });
    mod = await pushWasmModule({ registry: upstream.host, repository: 'apps/module' });
    const key = await createCosignKey();
    await cosignSign(mod.ref, { key, signatureRepository: `${upstream.host}/sigs/store` });
    await cosignAttest(mod.ref, { key, predicate: CYCLONEDX_FIXTURE, type: 'cyclonedx', signatureRepository: `${upstream.host}/sigs/store` });
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-wiring-'));
    // not called config.json, and named relative to the config file's folder
    credsPath = relative(ROOT, join(dir, 'registry-creds.json'));
    await writeFile(join(dir, 'registry-creds.json'), JSON.stringify({ auths: { [front.host]: { auth: Buffer.from(`carol:${PASSWORD}`).toString('base64') } } }));
  });
  afterAll(async () => {
    await front?.stop();
    await upstream?.stop();
  });

  async function decide(registries: string): Promise<Decision> {
    const yaml = EMBEDDED_DEFAULT_CONFIG_YAML.replace(/^registries:\n {2}allow: \[\]\n/m, registries);
    expect(yaml).not.toBe(EMBEDDED_DEFAULT_CONFIG_YAML);
    const config = parseConfig(yaml, { env: {} });
    const wiring = await createPipelineWiring({ baseDir: ROOT })({
      config,
      metrics: createMetrics({ defaultMetrics: false }),
      status: createStatusRegistry(),
      logger: createSilentLogger(),
      decisionCache: createDecisionCache({ ttlMs: 0, maxEntries: 0 }),
    });
    try {
      return await wiring.decider.decide({ ref: `${front.host}/apps/module@${mod.digest}`, deadlineMs: 10_000 });
    } finally {
      await wiring.stop?.();
    }
  }

  const found = (d: Decision): number => (d.input ? d.input.signatures.length + d.input.sbom_attestations.length : -1);

  it('collects the evidence from the configured signature repository with the credentials from docker_config', async () => {
    const d = await decide(`registries:
  allow: ["${front.host}"]
  docker_config: ${credsPath}
  signature_repositories:
    "${front.host}/apps/module": ["${front.host}/sigs/store"]
`);
    expect(d.errors.map((e) => e.code)).not.toContain('registry_unauthorized');
    expect(d.digest).toBe(mod.digest);
    expect(found(d)).toBe(2);
  });

  it('finds no evidence without signature_repositories', async () => {
    const d = await decide(`registries:
  allow: ["${front.host}"]
  docker_config: ${credsPath}
`);
    expect(d.digest).toBe(mod.digest);
    expect(found(d)).toBe(0);
    expect(d.allow).toBe(false);
  });

  it('is refused by the registry without docker_config (no credentials)', async () => {
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dir; // holds no config.json: the default provider finds nothing
    try {
      // the pipeline either fails closed with an error entry or rethrows (the service maps it); both name the refusal
      const outcome = await decide(`registries:
  allow: ["${front.host}"]
  signature_repositories:
    "${front.host}/apps/module": ["${front.host}/sigs/store"]
`).then((d) => ({ allow: d.allow, text: JSON.stringify(d.errors) }), (err: unknown) => ({ allow: false, text: `${(err as { code?: string }).code ?? ''} ${String(err)}` }));
      expect(outcome.allow).toBe(false);
      expect(outcome.text).toMatch(/unauthori[sz]ed/i);
      expect(outcome.text).not.toContain(PASSWORD);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
    }
  });
});

describe('registries.signature_repositories in the config schema', () => {
  it('defaults to no extra repositories', () => {
    expect(parseConfig('', { env: {} }).registries.signature_repositories).toEqual({});
  });

  it('accepts registry/repo keys and lists (registries with ports)', () => {
    const c = parseConfig('registries: {signature_repositories: {"ghcr.io/acme/app": ["ghcr.io/acme/signatures", "localhost:5000/sigs"]}}', { env: {} });
    expect(c.registries.signature_repositories).toEqual({ 'ghcr.io/acme/app': ['ghcr.io/acme/signatures', 'localhost:5000/sigs'] });
  });

  it.each([
    ['a repository with a tag', '{"ghcr.io/acme/app": ["ghcr.io/acme/sigs:v1"]}'],
    ['a repository with a digest', '{"ghcr.io/acme/app": ["ghcr.io/acme/sigs@sha256:00"]}'],
    ['a key without a registry', '{"app": ["ghcr.io/acme/sigs"]}'],
    ['a single string instead of a list', '{"ghcr.io/acme/app": "ghcr.io/acme/sigs"}'],
  ])('rejects %s with CONFIG_INVALID naming the key', (_what, map) => {
    let err: unknown;
    try {
      parseConfig(`registries: {signature_repositories: ${map}}`, { env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('registries.signature_repositories') });
  });
});
