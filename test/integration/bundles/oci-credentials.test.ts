import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../../../src/config/types.ts';
import { createBundleManager, type BundleManager } from '../../../src/policy/bundles/index.ts';
import { startDockerRegistry, startTestRegistry, startTokenAuthFront, type RunningRegistry, type TokenAuthFront } from '../../support/registries.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { execFileAsync, opaBuild, tempDir } from './support.ts';

/** `oras push` in OPA's OCI bundle layout, optionally with Basic credentials. */
async function orasPush(dir: string, ref: string, bundle: Uint8Array, login?: { username: string; password: string }): Promise<void> {
  await writeFile(join(dir, 'bundle.tar.gz'), bundle);
  await writeFile(join(dir, 'config.json'), '{}');
  await execFileAsync(requireTool('oras'), [
    'push', '--plain-http', '--disable-path-validation', ...(login ? ['-u', login.username, '-p', login.password] : []), ref,
    '--config', 'config.json:application/vnd.oci.image.config.v1+json',
    'bundle.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip',
  ], { cwd: dir, env: { ...process.env, DOCKER_CONFIG: dir } });
}

const basicToken = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64');

describe.skipIf(missingOutsideCi('opa', 'oras', 'wasmgate-testregistry', 'docker-registry'))('OCI bundle sources use the service credentials', () => {
  let dir: string;
  let upstream: RunningRegistry;
  let front: TokenAuthFront;
  let htpasswd: RunningRegistry;
  let bundle: Uint8Array;
  const managers: BundleManager[] = [];
  const savedDockerConfig = process.env.DOCKER_CONFIG;

  beforeAll(async () => {
    dir = await tempDir('oci-creds');
    // an empty Docker config: only the service credentials can authenticate
    process.env.DOCKER_CONFIG = dir;
    upstream = await startTestRegistry();
    front = await startTokenAuthFront({ upstream: upstream.host, users: { ops: 's3cret' } });
    htpasswd = await startDockerRegistry({ basicAuth: { username: 'ops', password: 'hunter2' } });
    bundle = await opaBuild({ fixture: 'swap-a', revision: 'oci-cred', out: join(dir, 'a.tar.gz') });
    await orasPush(dir, `${upstream.host}/policies/swap:1`, bundle);
    await orasPush(dir, `${htpasswd.host}/policies/swap:1`, bundle, { username: 'ops', password: 'hunter2' });
  });

  afterAll(async () => {
    for (const m of managers) await m.stop();
    await front?.stop();
    await upstream?.stop();
    await htpasswd?.stop();
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedDockerConfig;
  });

  const start = async (registry: RunningRegistry, credentials?: Record<string, unknown>): Promise<BundleManager> => {
    const reg: ServiceConfig = { name: 'reg', url: registry.url, type: 'oci', response_header_timeout_seconds: 10, allow_insecure_tls: false, ...(credentials && { credentials }) };
    const m = createBundleManager({
      config: {
        services: { reg },
        bundles: { swap: { service: 'reg', resource: `${registry.host}/policies/swap:1`, persist: false, size_limit_bytes: 16 * 1024 * 1024, trigger: 'manual' } },
      },
    });
    managers.push(m);
    await m.start();
    return m;
  };

  it('token-auth registry: user and password (bearer scheme Basic) fetch a registry token', async () => {
    const m = await start(front, { bearer: { scheme: 'Basic', token: basicToken('ops', 's3cret') } });
    expect(m.active()?.revision).toBe('oci-cred');
    expect(m.status().swap?.errors).toBeUndefined();
    expect(front.tokenRequests).toBeGreaterThan(0);
  });

  it('token-auth registry: wrong password or no credentials are refused', async () => {
    const wrong = await start(front, { bearer: { scheme: 'Basic', token: basicToken('ops', 'nope') } });
    expect(wrong.active()).toBeNull();
    expect(wrong.status().swap?.errors?.[0]?.code).toBe('BUNDLE_DOWNLOAD_FAILED');
    expect(wrong.status().swap?.message).toMatch(/rejected the credentials/);
    expect(wrong.status().swap?.message).not.toContain('nope');
    const none = await start(front);
    expect(none.active()).toBeNull();
    expect(none.status().swap?.message).toMatch(/requires credentials|refused/);
  });

  it('token-auth registry: a pre-issued bearer token from token_path, re-read before every check', async () => {
    const issue = async (): Promise<string> => {
      const res = await fetch(`${front.url}/token?service=wasmgate-test&scope=repository:policies/swap:pull`, { headers: { authorization: `Basic ${basicToken('ops', 's3cret')}` } });
      return ((await res.json()) as { token: string }).token;
    };
    const path = join(dir, 'token');
    await writeFile(path, `${await issue()}\n`);
    const m = await start(front, { bearer: { token_path: path } });
    expect(m.active()?.revision).toBe('oci-cred');
    expect(m.status().swap?.errors).toBeUndefined();
    // a revoked/garbage token is noticed on the next check (the active bundle stays)
    await writeFile(path, 'garbage');
    await m.trigger('swap');
    expect(m.status().swap?.errors?.[0]?.code).toBe('BUNDLE_DOWNLOAD_FAILED');
    expect(m.active()?.revision).toBe('oci-cred');
    await writeFile(path, await issue());
    await m.trigger('swap');
    expect(m.status().swap?.errors).toBeUndefined();
  });

  it('htpasswd registry (docker-registry): Basic credentials from the service config', async () => {
    const m = await start(htpasswd, { bearer: { scheme: 'Basic', token: basicToken('ops', 'hunter2') } });
    expect(m.active()?.revision).toBe('oci-cred');
    const wrong = await start(htpasswd, { bearer: { scheme: 'Basic', token: basicToken('ops', 'hunter3') } });
    expect(wrong.active()).toBeNull();
    expect(wrong.status().swap?.errors?.[0]?.code).toBe('BUNDLE_DOWNLOAD_FAILED');
  });

  it('refuses a Basic token that is not base64("user:password")', async () => {
    expect(() => createBundleManager({
      config: {
        services: { reg: { name: 'reg', url: htpasswd.url, type: 'oci', response_header_timeout_seconds: 10, allow_insecure_tls: false, credentials: { bearer: { scheme: 'Basic', token: 'bm9jb2xvbg==' } } } },
        bundles: { swap: { service: 'reg', resource: `${htpasswd.host}/policies/swap:1`, persist: false, size_limit_bytes: 1024, trigger: 'manual' } },
      },
    })).toThrow(/base64\("user:password"\)/);
  });
});
