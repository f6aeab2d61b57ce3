import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvidence } from '../../../src/collect/index.ts';
import { anonymousCredentials } from '../../../src/registry/index.ts';
import { loadTrustPolicy, verifyEvidence } from '../../../src/verify/index.ts';
import { createCosignKey, pushWasmModule, type CosignKey } from '../../support/evidence.ts';
import { startTestRegistry, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';

const run = promisify(execFile);
const anon = { registry: { credentials: anonymousCredentials } };

/**
 * `COSIGN_EXPERIMENTAL=1 cosign sign --new-bundle-format=false --registry-referrers-mode=oci-1-1` stores the
 * legacy simple-signing signature as an OCI 1.1 referrer (not as a `sha256-<hex>.sig` tag). Collection must
 * classify it as a cosign legacy signature by its layer media type, and it must verify.
 * (Only `cosign sign` has `--registry-referrers-mode` in v3.1.2; `attest` does not.)
 */
async function signLegacyReferrer(ref: string, key: CosignKey): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'wasmgate-cosign-home-'));
  await run(requireTool('cosign'), [
    'sign', '--key', key.key, '--use-signing-config=false', '--tlog-upload=false', '-y',
    '--new-bundle-format=false', '--registry-referrers-mode=oci-1-1', ref,
  ], { env: { PATH: process.env.PATH ?? '', HOME: home, COSIGN_PASSWORD: '', COSIGN_YES: 'true', COSIGN_EXPERIMENTAL: '1', TUF_ROOT: join(home, '.sigstore') } });
}

describe.skipIf(missingOutsideCi('cosign', 'oras', 'wasmgate-testregistry'))('cosign legacy signatures stored as OCI 1.1 referrers', () => {
  const regs: Record<string, RunningRegistry> = {};
  let key: CosignKey;
  let other: CosignKey;

  beforeAll(async () => {
    [regs.api, regs.tag, key, other] = await Promise.all([startTestRegistry({ referrers: true }), startTestRegistry({ referrers: false }), createCosignKey(), createCosignKey()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(Object.values(regs).map((r) => r.stop()));
  });

  it.each([
    ['api', 'referrers-api'],
    ['tag', 'referrers-tag'],
  ])('registry %s: classified as cosign-legacy-signature (found via %s) and verified with the key', async (name, via) => {
    const reg = regs[name] as RunningRegistry;
    const mod = await pushWasmModule({ registry: reg.host, repository: `legacy/${name}` });
    await signLegacyReferrer(mod.ref, key);
    const c = await collectEvidence(mod.ref, anon);
    expect(c.evidence).toHaveLength(1);
    expect(c.evidence[0]).toMatchObject({ kind: 'cosign-legacy-signature', discoveredVia: via, attachedTo: mod.digest, layer: { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' } });
    expect(c.evidence[0]?.layer.annotations?.['dev.cosignproject.cosign/signature']).toMatch(/^[A-Za-z0-9+/=]+$/);

    const out = await verifyEvidence(c, loadTrustPolicy({ keys: [{ id: 'release', path: key.pub }] }));
    expect(out.signatures).toHaveLength(1);
    expect(out.signatures[0]).toMatchObject({ format: 'cosign-legacy', verified: true, errors: [], subject_matches: true, key: { id: 'release' } });

    const wrong = await verifyEvidence(c, loadTrustPolicy({ keys: [{ id: 'other', path: other.pub }] }));
    expect(wrong.signatures[0]?.errors.map((e) => e.code)).toEqual(['key_not_trusted']);
  });
});
