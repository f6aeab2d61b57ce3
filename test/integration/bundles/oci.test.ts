import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundleManager, type BundleManager } from '../../../src/policy/bundles/index.ts';
import { RegistryClient, anonymousCredentials } from '../../../src/registry/index.ts';
import { startTestRegistry, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { execFileAsync, nextActivation, opaBuild, tempDir, writeKeyPair } from './support.ts';

/** `oras push` of a bundle in OPA's OCI layout (the command OPA's docs give). */
async function orasPush(dir: string, ref: string, bundle: Uint8Array): Promise<void> {
  await writeFile(join(dir, 'bundle.tar.gz'), bundle);
  await writeFile(join(dir, 'config.json'), '{}');
  await execFileAsync(requireTool('oras'), [
    'push', '--plain-http', '--disable-path-validation', ref,
    '--config', 'config.json:application/vnd.oci.image.config.v1+json',
    'bundle.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip',
  ], { cwd: dir, env: { ...process.env, DOCKER_CONFIG: dir } });
}

describe.skipIf(missingOutsideCi('opa', 'oras', 'wasmgate-testregistry'))('bundles from an OCI registry (oras push, OPA layout)', () => {
  let registry: RunningRegistry;
  let dir: string;
  let manager: BundleManager;
  let a: Uint8Array;
  let b: Uint8Array;

  beforeAll(async () => {
    dir = await tempDir('oci');
    registry = await startTestRegistry();
    const ec = await writeKeyPair(dir, 'ec', 'ec');
    a = await opaBuild({ fixture: 'swap-a', revision: 'oci-a', out: join(dir, 'a.tar.gz'), signingKey: ec.privateKey, signingAlg: 'ES256' });
    b = await opaBuild({ fixture: 'swap-b', revision: 'oci-b', out: join(dir, 'b.tar.gz'), signingKey: ec.privateKey, signingAlg: 'ES256' });
    await orasPush(dir, `${registry.host}/policies/swap:1`, a);
    manager = createBundleManager({
      config: {
        services: { reg: { name: 'reg', url: registry.url, type: 'oci', response_header_timeout_seconds: 10, allow_insecure_tls: false } },
        bundles: { swap: { service: 'reg', resource: `${registry.host}/policies/swap:1`, persist: false, size_limit_bytes: 16 * 1024 * 1024, trigger: 'manual', signing: { keyid: 'ec' } } },
        keys: { ec: { algorithm: 'ES256', key: ec.publicPem } },
      },
      ociStore: () => new RegistryClient({ credentials: anonymousCredentials, retries: 0 }),
    });
    await manager.start();
  });

  afterAll(async () => {
    await manager?.stop();
    await registry?.stop();
  });

  it('activates the signed bundle from the first tar+gzip layer', () => {
    expect(manager.active()?.revision).toBe('oci-a');
    expect(manager.status().swap).toMatchObject({ active_revision: 'oci-a', signature: 'verified' });
    expect(manager.status().swap?.errors).toBeUndefined();
  });

  it('does not reload an unchanged layer (etag = layer digest)', async () => {
    let activations = 0;
    const off = manager.onActivate(() => activations++);
    await manager.trigger('swap');
    off();
    expect(activations).toBe(0);
    expect(manager.active()?.revision).toBe('oci-a');
  });

  it('activates a new push of the tag', async () => {
    await orasPush(dir, `${registry.host}/policies/swap:1`, b);
    const next = nextActivation(manager, (r) => r === 'oci-b');
    await manager.trigger('swap');
    expect(await next).toBe('oci-b');
    expect(manager.active()?.evaluate('swap/answer', { n: -1 })).toEqual({ defined: true, result: { policy: 'b', allow: true, limit: 2 } });
  });

  it('keeps the active bundle when the tag disappears', async () => {
    const m = createBundleManager({
      config: {
        services: { reg: { name: 'reg', url: registry.url, type: 'oci', response_header_timeout_seconds: 10, allow_insecure_tls: false } },
        bundles: { swap: { service: 'reg', resource: `${registry.host}/policies/nothing:1`, persist: false, size_limit_bytes: 1024, trigger: 'manual' } },
      },
      ociStore: () => new RegistryClient({ credentials: anonymousCredentials, retries: 0 }),
    });
    await m.start();
    expect(m.active()).toBeNull();
    expect(m.status().swap?.errors?.[0]?.code).toBe('BUNDLE_DOWNLOAD_FAILED');
    await m.stop();
  });
});
