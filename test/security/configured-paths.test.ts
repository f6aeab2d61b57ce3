/**
 * Issue 21 item 1, other entry points: a decision path configured with stray
 * slashes (`/wasm/sbom/`) must be the same canonical path for the Data API's
 * decision-path table, the decider (its cache key) and the Gatekeeper provider —
 * otherwise `/v1/data/wasm/sbom/allow` would not be recognised as a decision path
 * and would evaluate the caller's evidence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/server/index.ts';
import { EXTERNAL_DATA_API_VERSION } from '../../src/integrations/gatekeeper/index.ts';
import { createFakeBundle } from '../support/fake-bundle.ts';
import { createFakeDecider, type FakeDecider } from '../support/fake-decider.ts';
import { startTestService } from '../support/service.ts';

const D = `sha256:${'a'.repeat(64)}`;
let svc: RunningService & { url: string };
let decider: FakeDecider;

beforeAll(async () => {
  decider = createFakeDecider();
  // a bundle whose data would allow anything at wasm.sbom: only evidence-free evaluation keeps it honest
  svc = await startTestService({
    decider,
    bundle: createFakeBundle({ wasm: { sbom: { allow: true, deny: [] } } }),
    yaml: 'registries: {allow: [reg.example]}\ndecision: {paths: ["/wasm/sbom/"]}\nintegrations: {gatekeeper: {enabled: true}}\n',
  });
});
afterAll(async () => svc.stop());

describe('configured decision paths have one canonical form (issue 21 item 1)', () => {
  it('the Data API treats /v1/data/wasm/sbom/allow as the decision path: caller evidence is refused', async () => {
    const res = await fetch(`${svc.url}/v1/data/wasm/sbom/allow`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: `reg.example/app@${D}` }, sbom_attestations: [{ verified: true }] } }) });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('input.sbom_attestations');
  });

  it('the decider is asked the canonical path by the Data API and by the Gatekeeper provider', async () => {
    await fetch(`${svc.url}/v1/data/wasm/sbom/allow`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: `reg.example/app@${D}` } } }) });
    expect(decider.calls.at(-1)!.path).toBe('wasm/sbom');
    const gk = await fetch(`${svc.url}/gatekeeper/v1/provide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: EXTERNAL_DATA_API_VERSION, kind: 'ProviderRequest', request: { keys: [`reg.example/app@${D}`] } }) });
    expect(gk.status).toBe(200);
    expect(decider.calls.at(-1)!.path).toBe('wasm/sbom');
  });
});

describe('a configured path with a dot segment has no canonical form', () => {
  it.each(['wasm/./sbom', 'wasm/x/../sbom'])('refuses to start with decision.paths [%s]', async (p) => {
    await expect(startTestService({ decider: createFakeDecider(), yaml: `decision: {paths: ["${p}"]}\n` })).rejects.toThrow(/dot segments/);
  });
});
