import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvidence, createCollector } from '../../../src/collect/index.ts';
import { anonymousCredentials, createDockerConfigCredentials, createStaticCredentials } from '../../../src/registry/index.ts';
import { createCosignKey, publishSignedModule, pushWasmModule, type PushedModule } from '../../support/evidence.ts';
import { startDockerRegistry, startTestRegistry, startTokenAuthFront, type RunningRegistry, type TokenAuthFront } from '../../support/registries.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireTool } from '../../support/tools.ts';
import { errorOf } from '../../support/errors.ts';

const run = promisify(execFile);
const PASSWORD = 's3cret-Pa55word';
const WRONG = 'not-the-Pa55word';

async function dockerConfig(host: string, username: string, password: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-dockercfg-'));
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }));
  return dir;
}

describe.skipIf(missingOutsideCi('oras', 'docker-registry'))('collectEvidence from a Basic-auth registry (docker-registry + htpasswd)', () => {
  let reg: RunningRegistry;
  let mod: PushedModule;

  beforeAll(async () => {
    reg = await startDockerRegistry({ basicAuth: { username: 'alice', password: PASSWORD } });
    const wasmPath = await mkdtemp(join(tmpdir(), 'wasmgate-auth-'));
    // oras logs in with the flags; pushWasmModule runs without credentials, so push through a pre-authenticated config
    await writeFile(join(wasmPath, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`alice:${PASSWORD}`).toString('base64') } } }));
    process.env.DOCKER_CONFIG = wasmPath;
    try {
      mod = await pushWasmModule({ registry: reg.host, repository: 'private/module' });
    } finally {
      delete process.env.DOCKER_CONFIG;
    }
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('returns the module with the credentials from Docker config.json auths', async () => {
    const c = await collectEvidence(mod.ref, { registry: { credentials: createDockerConfigCredentials({ dir: await dockerConfig(reg.host, 'alice', PASSWORD) }) } });
    expect(c.module.digest).toBe(mod.digest);
  });

  it('throws REGISTRY_UNAUTHORIZED naming the registry, without the password, for a wrong password', async () => {
    const err = await errorOf(collectEvidence(mod.ref, { registry: { credentials: createDockerConfigCredentials({ dir: await dockerConfig(reg.host, 'alice', WRONG) }) } }));
    expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(err.message).toContain(reg.host);
    expect(err.message).not.toContain(WRONG);
    expect(JSON.stringify(err.details)).not.toContain(WRONG);
  });

  it('throws REGISTRY_UNAUTHORIZED saying what to do when no credentials are configured', async () => {
    const err = await errorOf(collectEvidence(mod.ref, { registry: { credentials: anonymousCredentials } }));
    expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(err.message).toContain('docker login');
  });
});

describe.skipIf(missingOutsideCi('oras', 'cosign', 'wasmgate-testregistry'))('collectEvidence through a Bearer-token registry', () => {
  let upstream: RunningRegistry;
  let front: TokenAuthFront;
  let mod: PushedModule;

  beforeAll(async () => {
    upstream = await startTestRegistry();
    front = await startTokenAuthFront({ upstream: upstream.host, users: { bob: PASSWORD } });
    mod = await publishSignedModule({ registry: upstream.host, repository: 'team/app', key: await createCosignKey() });
  });
  afterAll(async () => {
    await front?.stop();
    await upstream?.stop();
  });

  const refVia = (): string => `${front.host}/team/app@${mod.digest}`;

  it('returns the evidence, fetching one token per scope and reusing it', async () => {
    const before = front.tokenRequests;
    const collector = createCollector({ registry: { credentials: createStaticCredentials({ [front.host]: { username: 'bob', password: PASSWORD } }) } });
    try {
      const first = await collector.collect(refVia());
      expect(first.evidence).toHaveLength(3);
      const second = await collector.collect(refVia());
      expect(second.evidence).toHaveLength(3);
    } finally {
      await collector.close();
    }
    expect(front.tokenRequests - before).toBe(1);
  });

  it('fetches a new token when the cached one has expired', async () => {
    const shortLived = await startTokenAuthFront({ upstream: upstream.host, users: { bob: PASSWORD }, tokenTtlSeconds: 1 });
    const collector = createCollector({ registry: { credentials: createStaticCredentials({ [shortLived.host]: { username: 'bob', password: PASSWORD } }) } });
    try {
      const ref = `${shortLived.host}/team/app@${mod.digest}`;
      expect((await collector.collect(ref)).evidence).toHaveLength(3);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await collector.collect(ref)).evidence).toHaveLength(3);
      expect(shortLived.tokenRequests).toBe(2);
    } finally {
      await collector.close();
      await shortLived.stop();
    }
  });

  it('throws REGISTRY_UNAUTHORIZED naming the registry, without the password, for a wrong password', async () => {
    const err = await errorOf(collectEvidence(refVia(), { registry: { credentials: createStaticCredentials({ [front.host]: { username: 'bob', password: WRONG } }) } }));
    expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(err.message).toContain(front.host);
    expect(err.message).not.toContain(WRONG);
  });

  it('throws REGISTRY_UNAUTHORIZED for an anonymous pull of a private repository', async () => {
    const err = await errorOf(collectEvidence(refVia(), { registry: { credentials: anonymousCredentials } }));
    expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
  });

  it('works with oras against the same front (sanity: the front speaks the token protocol)', async () => {
    const { stdout } = await run(requireTool('oras'), ['manifest', 'fetch', '--plain-http', '-u', 'bob', '-p', PASSWORD, '--descriptor', refVia()]);
    expect(stdout).toContain(mod.digest);
  });
});
