/**
 * The integrations inside a real `wasmgate serve` process: the Gatekeeper external data provider on its own
 * path, and the wasmCloud policy service on a real nats-server, both deciding through the real pipeline on the
 * demo store. A bundle hot swap (a file source rewritten on disk) that flips a decision makes the service
 * publish an override on the policy-changes topic with the host's original requestId.
 */
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, JSONCodec, type NatsConnection, type Subscription } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/registries.ts';
import { REPO, runWasmgate, startServe, type RunningServe } from '../../support/e2e.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { startNatsServer, type NatsPeer } from './nats-server.ts';

const codec = JSONCodec<Record<string, unknown>>();
const POLICY_TOPIC = 'wasmcloud.policy';
const CHANGES_TOPIC = 'wasmcloud.policy.changes';

/** Builds the shipped policy with a changed data.json (e.g. another inspection rule) into `out`. */
async function buildVariant(dir: string, out: string, edit: (data: Record<string, any>) => void): Promise<void> {
  const policies = join(dir, `policies-${Math.random().toString(36).slice(2)}`);
  await cp(join(REPO, 'policies'), policies, { recursive: true });
  const data = JSON.parse(await readFile(join(policies, 'data.json'), 'utf8')) as Record<string, any>;
  edit(data);
  await writeFile(join(policies, 'data.json'), JSON.stringify(data, null, 2));
  const tmp = `${out}.building.tar.gz`;
  const r = await runWasmgate(['bundle', 'build', '--policies', policies, '--out', tmp, '--opa', requireTool('opa')]);
  if (r.code !== 0) throw new Error(`bundle build failed: ${r.stderr}`);
  await rename(tmp, out); // the watcher sees one complete file
}

function startComponent(requestId: string, imageRef: string): Record<string, unknown> {
  return {
    requestId,
    kind: 'startComponent',
    version: 'v1',
    request: { componentId: `c-${requestId}`, imageRef, maxInstances: 1, annotations: {}, claims: null },
    host: { publicKey: 'NHOSTDEMO', lattice: 'default', labels: {} },
  };
}

describe.skipIf(missingOutsideCi('nats-server', 'opa'))('wasmgate serve with integrations', () => {
  let dir: string;
  let nats: NatsPeer;
  let serve: RunningServe;
  let host: NatsConnection;
  let bundlePath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wg-integrations-'));
    nats = await startNatsServer();
    bundlePath = join(dir, 'policy.tar.gz');
    await buildVariant(dir, bundlePath, () => undefined);
    const port = await freePort();
    const socket = join(dir, 'wasmgate.sock');
    const config = join(dir, 'config.yaml');
    await writeFile(config, `
listeners: {tcp: "127.0.0.1:${port}", unix: {path: ${JSON.stringify(socket)}}}
registries: {allow: [], layouts: [${JSON.stringify(join(REPO, 'demo/store'))}]}
bundles:
  policy: {resource: ${JSON.stringify(bundlePath)}}
trust:
  keyless:
    - subject: https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main
      issuer: https://token.actions.githubusercontent.com
    - subject_regexp: 'https://github\\.com/slsa-framework/slsa-github-generator/\\.github/workflows/generator_generic_slsa3\\.yml@refs/tags/v[0-9.]+'
      issuer: https://token.actions.githubusercontent.com
  trusted_roots: [${JSON.stringify(join(REPO, 'demo/trusted_root.json'))}]
vulnerability_db: {path: ${JSON.stringify(join(REPO, 'demo/osv/rustsec-osv-all.zip'))}, max_age: null}
persistence_directory: ${JSON.stringify(join(dir, 'state'))}
integrations:
  gatekeeper: {enabled: true}
  wasmcloud: {nats_url: "${nats.url}", policy_topic: ${POLICY_TOPIC}, changes_topic: ${CHANGES_TOPIC}}
`);
    serve = await startServe(config, socket, port);
    host = await connect({ servers: nats.url });
  }, 120_000);

  afterAll(async () => {
    await host?.close();
    await serve?.stop();
    await nats?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers Gatekeeper ProviderRequests per key on /gatekeeper/v1/provide', async () => {
    const res = await fetch(`${serve.url}/gatekeeper/v1/provide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'externaldata.gatekeeper.sh/v1beta1',
        kind: 'ProviderRequest',
        request: { keys: ['oci:demo/store:payments', 'oci:demo/store:unsigned', 'oci:demo/store:nonexist'] },
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { kind: string; response: { items: Array<{ key: string; value: any; error?: string }> } };
    expect(body.kind).toBe('ProviderResponse');
    const byKey = Object.fromEntries(body.response.items.map((i) => [i.key, i]));
    expect(byKey['oci:demo/store:payments']!.value.allow).toBe(true);
    expect(byKey['oci:demo/store:unsigned']!.value.allow).toBe(false);
    expect(byKey['oci:demo/store:unsigned']!.value.deny.join('\n')).toMatch(/SBOM attestation/);
    expect(byKey['oci:demo/store:nonexist']!.error).toMatch(/module_not_found/);
  });

  it('answers the wasmCloud host over NATS, and overrides a cached allow after a bundle swap flips it', async () => {
    const overrides: Subscription = host.subscribe(CHANGES_TOPIC);
    const allowed = codec.decode((await host.request(POLICY_TOPIC, codec.encode(startComponent('req-allow', 'oci:demo/store:payments')), { timeout: 1000 })).data);
    expect(allowed).toMatchObject({ requestId: 'req-allow', permitted: true });
    const denied = codec.decode((await host.request(POLICY_TOPIC, codec.encode(startComponent('req-deny', 'oci:demo/store:vulnerable')), { timeout: 1000 })).data);
    expect(denied).toMatchObject({ requestId: 'req-deny', permitted: false });
    expect(String(denied.message)).toMatch(/critical/);

    // The operator forbids a capability the demo modules import: payments no longer qualifies.
    await buildVariant(dir, bundlePath, (data) => {
      data.wasm.sbom.config.inspection.forbidden_imports = ['wasi:http/types'];
    });
    const override = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no override published within 20 s')), 20_000);
      void (async () => {
        for await (const m of overrides) {
          clearTimeout(timer);
          resolve(codec.decode(m.data));
          return;
        }
      })();
    });
    overrides.unsubscribe();
    expect(override).toMatchObject({ requestId: 'req-allow', permitted: false });
    // and the next request is decided on the new policy
    const after = codec.decode((await host.request(POLICY_TOPIC, codec.encode(startComponent('req-after', 'oci:demo/store:payments')), { timeout: 1000 })).data);
    expect(after).toMatchObject({ requestId: 'req-after', permitted: false });
  }, 60_000);
});
