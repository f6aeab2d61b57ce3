import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatekeeperRouter, GATEKEEPER_DEFAULT_PATH, type ProviderResponseV1Beta1 } from '../../../../src/integrations/gatekeeper/index.ts';
import { createFakeDecider } from '../../../support/fake-decider.ts';

const GOOD = 'ghcr.io/myorg/wasm/payments@sha256:' + 'b'.repeat(64);
const BAD = 'ghcr.io/myorg/wasm/payments:0.9.0';
const DOWN = 'unreachable.example/wasm/x:1';
const BROKEN = 'broken.example/wasm/y:1';

describe('createGatekeeperRouter', () => {
  let server: Server;
  let url: string;
  const decider = createFakeDecider({ allowOnly: [GOOD], denyReasons: (ref) => [`module ${ref} is missing a valid CycloneDX SBOM attestation`] });

  beforeAll(async () => {
    decider.undecidable.add(DOWN);
    decider.throwFor.add(BROKEN);
    const app = express();
    app.use(GATEKEEPER_DEFAULT_PATH, createGatekeeperRouter(decider, { maxKeys: 5 }));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${GATEKEEPER_DEFAULT_PATH}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function post(body: unknown, raw = false): Promise<{ status: number; body: ProviderResponseV1Beta1 }> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? String(body) : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as ProviderResponseV1Beta1 };
  }
  const request = (keys: unknown) => ({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } });

  it('returns one item per key, in order, with idempotent true and no systemError', async () => {
    const { status, body } = await post(request([GOOD, BAD]));
    expect(status).toBe(200);
    expect(body).toMatchObject({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderResponse', response: { idempotent: true, systemError: '' } });
    expect(body.response.items).toEqual([
      { key: GOOD, value: expect.objectContaining({ allow: true, deny: [] }), error: '' },
      { key: BAD, value: expect.objectContaining({ allow: false, deny: [expect.stringMatching(/SBOM/)] }), error: '' },
    ]);
  });

  it('reports keys that could not be decided as per-key errors', async () => {
    const { body } = await post(request([DOWN, BROKEN, GOOD]));
    expect(body.response.items[0]).toMatchObject({ key: DOWN, error: expect.stringMatching(/registry_unreachable/) });
    expect(body.response.items[1]).toMatchObject({ key: BROKEN, value: null, error: expect.stringMatching(/could not decide/) });
    expect(body.response.items[2]).toMatchObject({ key: GOOD, error: '' });
  });

  it('decides a repeated key once', async () => {
    const before = decider.calls.length;
    const { body } = await post(request([BAD, BAD, BAD]));
    expect(body.response.items).toHaveLength(3);
    expect(decider.calls.length - before).toBe(1);
  });

  describe('when the request is not a ProviderRequest', () => {
    it.each([
      ['a wrong apiVersion', { ...request([GOOD]), apiVersion: 'v1' }, /apiVersion/],
      ['a wrong kind', { ...request([GOOD]), kind: 'AdmissionReview' }, /kind/],
      ['non-string keys', request([1, 2]), /keys/],
      ['too many keys', request(['a', 'b', 'c', 'd', 'e', 'f']), /limit of 5/],
    ])('answers 400 with a systemError for %s', async (_n, body, re) => {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(r.body.response.systemError).toMatch(re);
      expect(r.body.response.items).toEqual([]);
    });

    it('answers bad JSON in the ProviderResponse shape', async () => {
      const r = await post('{"apiVersion":', true);
      expect(r.status).toBe(400);
      expect(r.body.kind).toBe('ProviderResponse');
      expect(r.body.response.systemError).toMatch(/invalid ProviderRequest/);
    });
  });
});
