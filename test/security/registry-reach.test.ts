/**
 * Hostile registries and token services on loopback (issue 21 items 2, 4 and 7): a token of registry A must
 * never reach registry B behind the same token service; credentials go only to a token realm on the registry's
 * own host or in registries.token_realms; redirects are followed only to the registry's origin or
 * registries.redirect_hosts; a `file:` redirect and a malformed manifest end in a deny with their own reason,
 * never an HTTP 4xx/5xx.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/common/logger.ts';
import { parseConfig } from '../../src/config/load.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../src/config/defaults.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { createStaticCredentials } from '../../src/registry/credentials.ts';
import { startService, type RunningService } from '../../src/server/service.ts';
import { createPipelineWiring } from '../../src/wiring/pipeline-wiring.ts';
import { rejectionCode } from '../support/errors.ts';
import { attackLog, problems } from './support/attacks.ts';
import { basicUser, bearerOf, startHostilePeer, type Answer, type HostilePeer } from './support/hostile.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const log = attackLog('security-registries', 'Security: hostile registries and token services (issue 21 items 2, 4, 7)', 'test/security/registry-reach.test.ts');
const D = `sha256:${'ab'.repeat(32)}`;
const NOT_FOUND = { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN' }] }) };

afterAll(() => log.flush());

describe('a token service shared by two registries', () => {
  let tokens: HostilePeer;
  let a: HostilePeer;
  let b: HostilePeer;
  const issued: Array<{ token: string; user: string }> = [];

  beforeAll(async () => {
    tokens = await startHostilePeer((req) => {
      const user = basicUser(req.headers) ?? 'anonymous';
      const token = `tok-${issued.length + 1}-${user}`;
      issued.push({ token, user });
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, expires_in: 300 }) };
    });
    const challenge = `Bearer realm="${tokens.url}/token",service="shared-auth"`;
    const registry = (): Promise<HostilePeer> => startHostilePeer((req) => (bearerOf(req.headers) === undefined ? { status: 401, headers: { 'www-authenticate': challenge } } : NOT_FOUND));
    a = await registry();
    b = await registry();
  });
  afterAll(async () => {
    await Promise.all([tokens?.stop(), a?.stop(), b?.stop()]);
  });

  it('never sends the token issued for registry A to registry B (same realm, service and scope)', async () => {
    const client = new RegistryClient({ credentials: createStaticCredentials({ [a.host]: { username: 'alice', password: 'A-secret' } }), retries: 0 });
    try {
      expect(await rejectionCode(client.fetchManifest(`${a.host}/team/app`, 'v1'))).toBe('MANIFEST_UNKNOWN');
      expect(await rejectionCode(client.fetchManifest(`${b.host}/team/app`, 'v1'))).toBe('MANIFEST_UNKNOWN');
    } finally {
      await client.close();
    }
    const p = problems();
    const alices = issued.filter((t) => t.user === 'alice').map((t) => t.token);
    p.check(alices.length === 1, `expected one token issued to alice (registry A), got ${alices.length}`);
    const sentToB = b.requests.map((r) => bearerOf(r.headers)).filter((t): t is string => t !== undefined);
    p.check(sentToB.length > 0, 'registry B was never asked with a token of its own');
    for (const t of sentToB) p.check(!alices.includes(t), `registry B received registry A's token ${t}`);
    for (const r of b.requests) p.check(!JSON.stringify(r.headers).includes('QS1zZWNyZXQ'), "registry B saw registry A's password");
    log.attack('registry B asks for the bearer token of registry A (shared token service)', "B gets a token of its own; A's token and password never reach B", p.list);
  });
});

describe('a token realm on another host', () => {
  let tokens: HostilePeer;
  let registry: HostilePeer;

  beforeAll(async () => {
    // 127.0.0.2 is loopback but another host than the registry's 127.0.0.1
    tokens = await startHostilePeer(() => ({ status: 200, body: JSON.stringify({ token: 'tok', expires_in: 300 }) }), '127.0.0.2');
    registry = await startHostilePeer((req) => (bearerOf(req.headers) === undefined
      ? { status: 401, headers: { 'www-authenticate': `Bearer realm="http://127.0.0.2:${tokens.port}/token",service="elsewhere"` } }
      : NOT_FOUND));
  });
  afterAll(async () => {
    await Promise.all([tokens?.stop(), registry?.stop()]);
  });

  it('gets no credentials unless registries.token_realms lists it', async () => {
    const credentials = createStaticCredentials({ [registry.host]: { username: 'alice', password: 'A-secret' } });
    const p = problems();
    const refused = new RegistryClient({ credentials, retries: 0 });
    const code = await rejectionCode(refused.fetchManifest(`${registry.host}/team/app`, 'v1'));
    await refused.close();
    p.check(code === 'REGISTRY_REALM_REFUSED', `expected REGISTRY_REALM_REFUSED, got ${code}`);
    p.check(tokens.requests.length === 0, `the foreign token service was asked ${tokens.requests.length} time(s)`);
    log.attack("registry names a token service on another host (basic credentials would go there)", 'refused (REGISTRY_REALM_REFUSED, deny reason registry_refused); the token service is never contacted', p.list);

    const allowed = new RegistryClient({ credentials, retries: 0, tokenRealmHosts: [`127.0.0.2:${tokens.port}`] });
    expect(await rejectionCode(allowed.fetchManifest(`${registry.host}/team/app`, 'v1'))).toBe('MANIFEST_UNKNOWN');
    await allowed.close();
    expect(tokens.requests.map((r) => basicUser(r.headers))).toEqual(['alice']);
  });
});

describe('redirects', () => {
  let registry: HostilePeer;
  let elsewhere: HostilePeer;
  let otherHost: HostilePeer;
  let v6: HostilePeer;
  let target = '';

  beforeAll(async () => {
    elsewhere = await startHostilePeer(() => ({ status: 200, body: '{}' }));
    otherHost = await startHostilePeer(() => ({ status: 200, body: '{}' }), '127.0.0.2');
    v6 = await startHostilePeer(() => ({ status: 200, body: '{}' }), '::1');
    registry = await startHostilePeer((req) => (req.path.startsWith('/v2/') ? { status: 307, headers: { location: target } } : NOT_FOUND));
  });
  afterAll(async () => {
    await Promise.all([registry?.stop(), elsewhere?.stop(), otherHost?.stop(), v6?.stop()]);
  });

  it('are followed only to the registry origin or registries.redirect_hosts', async () => {
    const targets = [
      `${elsewhere.url}/blob`, // another loopback port
      `${otherHost.url}/blob`, // another loopback host
      `${v6.url}/blob`, // [::1]
      'https://blobs.example.com/blob', // any https host (refused before any connection)
      'file:///etc/passwd',
      'ftp://127.0.0.1/x',
      'data:application/json,{}',
    ];
    const p = problems();
    const client = new RegistryClient({ retries: 0, credentials: createStaticCredentials({}) });
    try {
      for (const t of targets) {
        target = t;
        const code = await rejectionCode(client.fetchBlob(`${registry.host}/team/app`, { digest: D, size: 2 }));
        p.check(code === 'REGISTRY_REDIRECT_REFUSED', `redirect to ${t}: expected REGISTRY_REDIRECT_REFUSED, got ${code}`);
      }
    } finally {
      await client.close();
    }
    for (const peer of [elsewhere, otherHost, v6]) p.check(peer.requests.length === 0, `${peer.host} was contacted ${peer.requests.length} time(s)`);
    log.attack('registry redirects to other loopback ports, [::1], an https host, file:, ftp: and data: URLs', 'none followed (REGISTRY_REDIRECT_REFUSED); no request reaches the targets', p.list, targets.length);

    // allow-listed blob storage is followed, without the registry's credentials
    target = `${elsewhere.url}/blob`;
    const allowed = new RegistryClient({ retries: 0, credentials: createStaticCredentials({}), redirectHosts: [elsewhere.host] });
    expect(await rejectionCode(allowed.fetchBlob(`${registry.host}/team/app`, { digest: D, size: 2 }))).toBe('DIGEST_MISMATCH');
    await allowed.close();
    expect(elsewhere.requests).toHaveLength(1);
  });
});

describe('through the service', () => {
  let registry: HostilePeer;
  let service: RunningService;
  let url: string;
  const malformed = Buffer.from('{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": 7}');
  const malformedDigest = `sha256:${createHash('sha256').update(malformed).digest('hex')}`;

  beforeAll(async () => {
    registry = await startHostilePeer((req): Answer => {
      if (req.path.startsWith('/v2/team/redirect/')) return { status: 307, headers: { location: 'file:///etc/passwd' } };
      if (req.path === `/v2/team/malformed/manifests/${malformedDigest}`) return { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: malformed };
      return NOT_FOUND;
    });
    const yaml = EMBEDDED_DEFAULT_CONFIG_YAML.replace('allow: []', `allow: ["${registry.host}"]`);
    const config = parseConfig(yaml, { overrides: { addr: '127.0.0.1:0' }, env: {} });
    service = await startService({ config, wire: createPipelineWiring({ baseDir: REPO }), logger: createSilentLogger(), env: {} });
    url = `http://${service.addresses[0]!}/v1/data/wasm/sbom`;
  });
  afterAll(async () => {
    await service?.stop();
    await registry?.stop();
  });

  const ask = async (ref: string): Promise<{ status: number; body: { result?: { allow: boolean; deny: string[] }; message?: string } }> => {
    const res = await fetch(url, { method: 'POST', body: JSON.stringify({ input: { module: { ref } } }) });
    return { status: res.status, body: (await res.json()) as { result?: { allow: boolean; deny: string[] } } };
  };

  it('answers a file: redirect with a deny naming registry_refused, not an HTTP error', async () => {
    const r = await ask(`${registry.host}/team/redirect@${D}`);
    const p = problems();
    p.check(r.status === 200, `HTTP ${r.status}: ${JSON.stringify(r.body)}`);
    p.check(r.body.result?.allow === false, 'not a deny');
    p.check((r.body.result?.deny ?? []).some((d) => /\bregistry_refused\b/.test(d)), `deny reasons ${JSON.stringify(r.body.result?.deny)}`);
    p.check(!JSON.stringify(r.body).includes('/etc/passwd'), 'the answer echoes the redirect target path');
    log.attack('registry redirects the manifest to file:///etc/passwd (API decision)', 'HTTP 200 deny with reason registry_refused; the local path is not echoed', p.list);
  });

  it('reports a malformed manifest as invalid_manifest, not registry_unreachable', async () => {
    const r = await ask(`${registry.host}/team/malformed@${malformedDigest}`);
    const p = problems();
    p.check(r.status === 200, `HTTP ${r.status}`);
    const deny = r.body.result?.deny ?? [];
    p.check(deny.some((d) => /\binvalid_manifest\b/.test(d)), `deny reasons ${JSON.stringify(deny)}`);
    p.check(!deny.some((d) => /\bregistry_unreachable\b/.test(d)), 'reported as registry_unreachable');
    log.attack('registry serves a manifest that breaks the OCI spec (digest-correct)', 'deny with reason invalid_manifest (not registry_unreachable)', p.list);
  });
});
