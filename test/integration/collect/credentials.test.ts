/**
 * Where registry credentials come from and where they go, against real peers on loopback: Docker config.json
 * `identitytoken` (exchanged at the token realm with the OAuth2 refresh-token grant), credential helpers
 * (`credHelpers` / `credsStore` → a real `docker-credential-<name>` executable on PATH), `DOCKER_CONFIG`, and
 * credentials never following a redirect to another origin.
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvidence } from '../../../src/collect/index.ts';
import { createDockerConfigCredentials, createStaticCredentials } from '../../../src/registry/index.ts';
import { createCosignKey, publishSignedModule, type PushedModule } from '../../support/evidence.ts';
import {
  startFaultProxy,
  startRecordingServer,
  startTestRegistry,
  startTokenAuthFront,
  type FaultProxy,
  type RecordingServer,
  type RunningRegistry,
  type TokenAuthFront,
} from '../../support/registries.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import { errorOf } from '../../support/errors.ts';

const PASSWORD = 's3cret-Pa55word';
const REFRESH_TOKEN = 'rt-3f9c2a7d-good-refresh-token';
const REVOKED_TOKEN = 'rt-0badc0de-revoked-refresh-token';
const HELPER = 'wasmgatetest';
/** a second helper that answers with an identity token (Username "<token>") */
const TOKEN_HELPER = 'wasmgatetesttoken';

async function configDir(config: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmgate-dockercfg-'));
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/**
 * A stand-in `docker-credential-<HELPER>` speaking the credential-helper protocol: `get` with the server URL on
 * stdin → `{ServerURL, Username, Secret}` on stdout, or "credentials not found in native keychain" and exit 1.
 * Every server URL it is asked for is appended to `log`.
 */
async function writeCredentialHelper(dir: string, name: string, answers: Record<string, { Username: string; Secret: string }>, log: string): Promise<void> {
  const cases = Object.entries(answers)
    .map(([server, a]) => `  ${JSON.stringify(server)}) printf '%s\\n' ${shellQuote(JSON.stringify({ ServerURL: server, ...a }))} ;;`)
    .join('\n');
  const script = `#!/bin/sh
[ "$1" = get ] || { echo "unsupported action: $1" >&2; exit 2; }
server=$(cat)
printf '%s\\n' "$server" >> ${shellQuote(log)}
case "$server" in
${cases}
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;
  const path = join(dir, `docker-credential-${name}`);
  await writeFile(path, script);
  await chmod(path, 0o755);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

describe.skipIf(missingOutsideCi('oras', 'cosign', 'wasmgate-testregistry'))('registry credentials from Docker config, helpers and identity tokens', () => {
  let upstream: RunningRegistry;
  let front: TokenAuthFront;
  let mod: PushedModule;
  let helperDir: string;
  let helperLog: string;
  const savedPath = process.env.PATH;
  const savedDockerConfig = process.env.DOCKER_CONFIG;

  const ref = (): string => `${front.host}/team/app@${mod.digest}`;
  const grants = (): string[] => front.tokenLog.map((r) => `${r.method} ${r.grant} ${r.ok ? 'ok' : 'refused'}`);

  beforeAll(async () => {
    upstream = await startTestRegistry();
    front = await startTokenAuthFront({ upstream: upstream.host, users: { bob: PASSWORD }, refreshTokens: { [REFRESH_TOKEN]: 'bob' } });
    mod = await publishSignedModule({ registry: upstream.host, repository: 'team/app', key: await createCosignKey() });
    helperDir = await mkdtemp(join(tmpdir(), 'wasmgate-credhelper-'));
    helperLog = join(helperDir, 'asked.log');
    await writeCredentialHelper(helperDir, HELPER, { [front.host]: { Username: 'bob', Secret: PASSWORD } }, helperLog);
    // the credential-helper convention for identity tokens: Username "<token>", Secret the refresh token
    await writeCredentialHelper(helperDir, TOKEN_HELPER, { [front.host]: { Username: '<token>', Secret: REFRESH_TOKEN } }, helperLog);
    process.env.PATH = `${helperDir}${delimiter}${savedPath ?? ''}`;
  });
  afterAll(async () => {
    process.env.PATH = savedPath;
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedDockerConfig;
    await front?.stop();
    await upstream?.stop();
  });

  describe('identitytoken (OAuth2 refresh-token grant)', () => {
    it('exchanges the identity token at the realm with POST grant_type=refresh_token and collects the evidence', async () => {
      front.tokenLog.length = 0;
      const dir = await configDir({ auths: { [front.host]: { auth: '', identitytoken: REFRESH_TOKEN } } });
      const c = await collectEvidence(ref(), { registry: { credentials: createDockerConfigCredentials({ dir }) } });
      expect(c.module.digest).toBe(mod.digest);
      expect(c.evidence).toHaveLength(3);
      // one token, from the refresh-token grant, for the repository's pull scope; never the Basic GET flow
      expect(grants()).toEqual(['POST refresh_token ok']);
      expect(front.tokenLog[0]).toMatchObject({ service: 'wasmgate-test', scope: 'repository:team/app:pull', clientId: 'wasmgate' });
    });

    it('throws REGISTRY_UNAUTHORIZED for a revoked identity token, naming the registry but never the token', async () => {
      front.tokenLog.length = 0;
      const dir = await configDir({ auths: { [front.host]: { identitytoken: REVOKED_TOKEN } } });
      const err = await errorOf(collectEvidence(ref(), { registry: { credentials: createDockerConfigCredentials({ dir }) } }));
      expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
      expect(err.message).toContain(front.host);
      expect(err.message).toContain('identity token');
      expect(err.message).toContain('docker login');
      const everything = `${err.message} ${JSON.stringify(err.details ?? {})} ${String(err.stack)} ${String((err.cause as Error | undefined)?.message ?? '')}`;
      expect(everything).not.toContain(REVOKED_TOKEN);
      expect(grants()).toEqual(['POST refresh_token refused']);
    });
  });

  describe('credential helpers (docker-credential-* on PATH)', () => {
    it('uses credHelpers[host]: the helper is asked for the host and its Username/Secret pass the Basic token flow', async () => {
      front.tokenLog.length = 0;
      await writeFile(helperLog, '');
      // auths holds a wrong password: the helper must win
      const dir = await configDir({ credHelpers: { [front.host]: HELPER }, auths: { [front.host]: { auth: Buffer.from('bob:wrong').toString('base64') } } });
      const c = await collectEvidence(ref(), { registry: { credentials: createDockerConfigCredentials({ dir }) } });
      expect(c.evidence).toHaveLength(3);
      expect((await readFile(helperLog, 'utf8')).trim().split('\n')).toContain(front.host);
      expect(grants()).toEqual(['GET basic ok']);
    });

    it('uses the global credsStore when no credHelpers entry names the host', async () => {
      front.tokenLog.length = 0;
      await writeFile(helperLog, '');
      const dir = await configDir({ credsStore: HELPER, credHelpers: { 'other.example': 'nonexistent-helper' } });
      const c = await collectEvidence(ref(), { registry: { credentials: createDockerConfigCredentials({ dir }) } });
      expect(c.evidence).toHaveLength(3);
      expect((await readFile(helperLog, 'utf8')).trim()).toBe(front.host);
      expect(grants()).toEqual(['GET basic ok']);
    });

    it('treats a helper answer with Username "<token>" as an identity token (refresh-token grant)', async () => {
      front.tokenLog.length = 0;
      const dir = await configDir({ credHelpers: { [front.host]: TOKEN_HELPER } });
      const c = await collectEvidence(ref(), { registry: { credentials: createDockerConfigCredentials({ dir }) } });
      expect(c.evidence).toHaveLength(3);
      expect(grants()).toEqual(['POST refresh_token ok']);
    });

    it('falls back to auths when the helper has no credentials for the host', async () => {
      const other = `127.0.0.2:${front.host.split(':')[1]}`;
      const dir = await configDir({ credHelpers: { [other]: HELPER } });
      const provider = createDockerConfigCredentials({ dir });
      expect(await provider.get(other)).toBeUndefined();
      const withAuths = createDockerConfigCredentials({ dir: await configDir({ credsStore: HELPER, auths: { [other]: { auth: Buffer.from(`bob:${PASSWORD}`).toString('base64') } } }) });
      expect(await withAuths.get(other)).toMatchObject({ kind: 'basic', username: 'bob' });
    });

    it('throws REGISTRY_UNAUTHORIZED naming the helper when it is not installed', async () => {
      const dir = await configDir({ credHelpers: { [front.host]: 'wasmgate-missing-helper' } });
      const err = await errorOf(collectEvidence(ref(), { registry: { credentials: createDockerConfigCredentials({ dir }) } }));
      expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
      expect(err.message).toContain('docker-credential-wasmgate-missing-helper');
    });
  });

  describe('DOCKER_CONFIG', () => {
    it('is where the default credentials come from when no directory is given', async () => {
      front.tokenLog.length = 0;
      process.env.DOCKER_CONFIG = await configDir({ auths: { [front.host]: { auth: Buffer.from(`bob:${PASSWORD}`).toString('base64') } } });
      try {
        // no `credentials` option: the client builds createDockerConfigCredentials() itself
        const c = await collectEvidence(ref(), { registry: {} });
        expect(c.evidence).toHaveLength(3);
      } finally {
        delete process.env.DOCKER_CONFIG;
      }
      expect(grants()).toEqual(['GET basic ok']);
    });

    it('without credentials there, the same pull is refused', async () => {
      process.env.DOCKER_CONFIG = await configDir({ auths: {} });
      try {
        const err = await errorOf(collectEvidence(ref(), { registry: {} }));
        expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
      } finally {
        delete process.env.DOCKER_CONFIG;
      }
    });
  });
});

describe.skipIf(missingOutsideCi('oras', 'cosign', 'wasmgate-testregistry'))('credentials never leave the registry origin', () => {
  let upstream: RunningRegistry;
  let front: TokenAuthFront;
  let proxy: FaultProxy;
  let cdn: RecordingServer;
  let mod: PushedModule;
  const blobAuthAtRegistry: boolean[] = [];

  beforeAll(async () => {
    upstream = await startTestRegistry();
    front = await startTokenAuthFront({ upstream: upstream.host, users: { bob: PASSWORD } });
    proxy = await startFaultProxy({ upstream: front.host });
    // the "CDN": another origin on another loopback port, serving blobs it takes straight from the upstream
    cdn = await startRecordingServer({
      serve: async (path) => {
        const res = await fetch(`${upstream.url}${path.replace(/^\/cdn/, '')}`);
        return res.ok ? Buffer.from(await res.arrayBuffer()) : undefined;
      },
    });
    mod = await publishSignedModule({ registry: upstream.host, repository: 'team/app', key: await createCosignKey() });
  });
  afterAll(async () => {
    await proxy?.stop();
    await cdn?.stop();
    await front?.stop();
    await upstream?.stop();
  });

  it('follows a blob redirect to another origin without sending the Authorization header there', async () => {
    proxy.setFault((req) => {
      if (!req.path.includes('/blobs/')) return undefined;
      blobAuthAtRegistry.push(typeof req.headers.authorization === 'string' && req.headers.authorization.startsWith('Bearer '));
      return { kind: 'status', status: 307, headers: { location: `${cdn.url}/cdn${req.path}` }, body: '' };
    });
    const c = await collectEvidence(`${proxy.host}/team/app@${mod.digest}`, {
      // the token service (the front) and the blob storage (the CDN) sit on other origins: both allow-listed
      registry: { credentials: createStaticCredentials({ [proxy.host]: { username: 'bob', password: PASSWORD } }), redirectHosts: [cdn.host] },
      cache: false,
    });
    expect(c.evidence).toHaveLength(3);
    // the registry origin got the bearer token with every blob request …
    expect(blobAuthAtRegistry.length).toBeGreaterThanOrEqual(3);
    expect(blobAuthAtRegistry.every(Boolean)).toBe(true);
    // … and the other origin served every evidence blob without ever seeing a credential
    const blobPaths = cdn.requests.map((r) => r.path);
    for (const ev of c.evidence) expect(blobPaths.some((p) => p.endsWith(`/blobs/${ev.layer.digest}`))).toBe(true);
    for (const r of cdn.requests) {
      expect(r.headers.authorization).toBeUndefined();
      expect(JSON.stringify(r.headers)).not.toContain(PASSWORD);
      expect(JSON.stringify(r.headers).toLowerCase()).not.toContain('bearer');
    }
  });

  it('keeps the Authorization header on a redirect within the same origin', async () => {
    let redirected = 0;
    const sawAuthAfterRedirect: boolean[] = [];
    proxy.setFault((req) => {
      if (!req.path.includes('/blobs/')) return undefined;
      if (req.path.startsWith('/v2/')) {
        redirected++;
        return { kind: 'status', status: 307, headers: { location: `/same-origin${req.path}` }, body: '' };
      }
      sawAuthAfterRedirect.push(typeof req.headers.authorization === 'string' && req.headers.authorization.startsWith('Bearer '));
      return { kind: 'status', status: 404, body: '' };
    });
    // the moved path answers 404 (the blob is then skipped or fatal, either way); what matters is what it was sent
    await collectEvidence(`${proxy.host}/team/app@${mod.digest}`, {
      registry: { credentials: createStaticCredentials({ [proxy.host]: { username: 'bob', password: PASSWORD } }) },
      cache: false,
    }).catch(() => undefined);
    expect(redirected).toBeGreaterThan(0);
    expect(sawAuthAfterRedirect.length).toBeGreaterThan(0);
    expect(sawAuthAfterRedirect.every(Boolean)).toBe(true);
  });
});
