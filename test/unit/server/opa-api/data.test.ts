import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../../../../src/registry/error.ts';
import type { RunningService } from '../../../../src/server/index.ts';
import { createFakeBundle } from '../../../support/fake-bundle.ts';
import type { EvaluationResult, LoadedBundle } from '../../../../src/policy/engine/types.ts';
import { createFakeDecider, type FakeDecider } from '../../../support/fake-decider.ts';
import { startTestService } from '../../../support/service.ts';

const D = `sha256:${'c'.repeat(64)}`;
const REF = `reg.example/org/app@${D}`;

let svc: RunningService & { url: string };
let decider: FakeDecider;

beforeAll(async () => {
  decider = createFakeDecider({
    fail: (req) => (req.ref.includes('unreachable') ? new RegistryError('REGISTRY_UNREACHABLE', 'connection refused') : undefined),
  });
  svc = await startTestService({
    decider,
    bundle: withSbomPackage(createFakeBundle({ system: { main: { hello: 'world' } }, data: { x: 1 } })),
    yaml: 'registries: {allow: [reg.example, "*.trusted.example"]}\nserver: {decoding: {max_length: 2048, max_depth: 8}}\n',
  });
});
afterAll(async () => svc.stop());

/**
 * The fake bundle plus a `wasm.sbom` package computed from the input: allow unless
 * the module ref says "deny" or wasmgate reported errors; `config` is pure data.
 */
function withSbomPackage(base: LoadedBundle): LoadedBundle {
  const doc = (input: unknown): Record<string, unknown> => {
    const i = (input ?? {}) as { module?: { ref?: string }; errors?: Array<{ code: string; message: string }> };
    const errors = i.errors ?? [];
    const denied = i.module?.ref?.includes('deny') ?? false;
    const deny = [...(denied ? ['a: first reason', 'b: second reason'] : []), ...errors.map((e) => `evidence incomplete (${e.code})`)].sort();
    const out: Record<string, unknown> = { allow: deny.length === 0 && i.module !== undefined, deny, config: { sbom_identity: { subject: 's' } } };
    if (i.module !== undefined) out.valid_sbom_attestation = true;
    return out;
  };
  return {
    ...base,
    evaluate(path: string, input: unknown): EvaluationResult {
      if (path !== 'wasm/sbom' && !path.startsWith('wasm/sbom/') && path !== 'wasm' && path !== '') return base.evaluate(path, input);
      const full: Record<string, unknown> = { ...(base.data as Record<string, unknown>), wasm: { sbom: doc(input) } };
      let cur: unknown = full;
      for (const seg of path.split('/').filter(Boolean)) {
        if (typeof cur !== 'object' || cur === null || !(seg in cur)) return { defined: false };
        cur = (cur as Record<string, unknown>)[seg];
      }
      return cur === undefined ? { defined: false } : { defined: true, result: cur };
    },
  };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const res = await fetch(`${svc.url}${path}`, { method: 'POST', body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, json: text.trim() ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
}

describe('POST /v1/data/{decision path}', () => {
  it('answers wasm/sbom with the package document (OPA\'s answer), evaluated on the assembled input', async () => {
    const r = await post('/v1/data/wasm/sbom', { input: { module: { ref: REF.replace('org/app', 'org/app-deny') }, request: { runtime: 'wasmcloud' } } });
    expect(r.status).toBe(200);
    expect(r.json.result).toEqual({ allow: false, deny: ['a: first reason', 'b: second reason'], config: { sbom_identity: { subject: 's' } }, valid_sbom_attestation: true });
  });

  it('answers the compact verdict {allow, sorted deny, digest} with ?verdict', async () => {
    const r = await post('/v1/data/wasm/sbom?verdict', { input: { module: { ref: REF.replace('org/app', 'org/app-deny') }, request: { runtime: 'wasmcloud' } } });
    expect(r.status).toBe(200);
    expect(r.json.result).toEqual({ allow: false, deny: ['a: first reason', 'b: second reason'], digest: D });
    expect(r.json.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(decider.calls.at(-1)).toMatchObject({ path: 'wasm/sbom', request: { runtime: 'wasmcloud' } });
    expect(r.text.endsWith('\n')).toBe(true);
  });

  it('answers the allow and deny rules from the same decision', async () => {
    expect((await post('/v1/data/wasm/sbom/allow', { input: { module: { ref: REF } } })).json.result).toBe(true);
    expect((await post('/v1/data/wasm/sbom/deny', { input: { module: { ref: REF } } })).json.result).toEqual([]);
    expect(decider.calls.at(-1)!.path).toBe('wasm/sbom');
  });

  it('denies with the reason when the decider fails (fail closed), never allows', async () => {
    const r = await post('/v1/data/wasm/sbom?verdict', { input: { module: { ref: `reg.example/unreachable@${D}` } } });
    expect(r.status).toBe(200);
    expect(r.json.result).toEqual({ allow: false, deny: ['registry_unreachable: connection refused'], digest: D });
    // the package document is the policy's, on an input that carries the fail-closed error
    const doc = await post('/v1/data/wasm/sbom', { input: { module: { ref: `reg.example/unreachable@${D}` } } });
    expect(doc.json.result).toMatchObject({ allow: false, deny: ['evidence incomplete (registry_unreachable)'] });
    expect((await post('/v1/data/wasm/sbom/allow', { input: { module: { ref: `reg.example/unreachable@${D}` } } })).json.result).toBe(false);
  });

  it('adds OPA timers and wasmgate\'s collect/verify/scan timers with ?metrics', async () => {
    const r = await post('/v1/data/wasm/sbom?metrics', { input: { module: { ref: REF } } });
    expect(Object.keys(r.json.metrics as object)).toEqual(expect.arrayContaining(['timer_server_handler_ns', 'timer_rego_input_parse_ns', 'timer_rego_query_eval_ns', 'timer_wasmgate_collect_ns', 'timer_wasmgate_verify_ns', 'timer_wasmgate_scan_ns']));
  });

  it('indents with ?pretty', async () => {
    const r = await post('/v1/data/wasm/sbom/allow?pretty=true', { input: { module: { ref: REF } } });
    expect(r.text).toMatch(/^\{\n  "result": true,/);
  });

  describe('when the caller sends evidence', () => {
    it.each([
      [{ module: { ref: REF }, signatures: [] }, 'input.signatures'],
      [{ module: { ref: REF }, vulnerability_scan: { matches: [] } }, 'input.vulnerability_scan'],
      [{ module: { ref: REF, digest: D } }, 'input.module.digest'],
      [{ module: { ref: REF, wasm: {}, layers: [] } }, 'input.module.wasm, input.module.layers'],
    ])('answers 400 naming the fields (%#)', async (input, named) => {
      const r = await post('/v1/data/wasm/sbom', { input });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ code: 'invalid_parameter' });
      expect(r.json.message).toContain(named);
      expect(r.json.message).toContain('is decided on evidence wasmgate assembles itself');
    });
  });

  describe('when the ref is bad', () => {
    it.each([
      [`reg.example/app@sha256:abc`, 'malformed digest'],
      [`reg.example/app@sha256:${'C'.repeat(64)}`, 'malformed digest'],
      [`reg.example/app@md5:${'c'.repeat(32)}`, 'malformed digest'],
      ['evil.example/app:1', 'not in registries.allow'],
      ['library/app:1', 'docker.io is not in registries.allow'],
      ['a b', 'whitespace'],
    ])('%s → 400 (%s)', async (ref, says) => {
      const r = await post('/v1/data/wasm/sbom', { input: { module: { ref } } });
      expect(r.status).toBe(400);
      expect(r.json.message).toContain(says);
    });

    it('accepts hosts matching a wildcard', async () => {
      expect((await post('/v1/data/wasm/sbom', { input: { module: { ref: `a.trusted.example/app@${D}` } } })).status).toBe(200);
    });

    it('answers 400 for a malformed module.ref or request', async () => {
      for (const input of [{ module: { ref: 5 } }, { module: 'x' }, 'str', { module: { ref: REF }, request: 'x' }]) {
        expect((await post('/v1/data/wasm/sbom', { input })).status).toBe(400);
      }
    });

    it('decides on no evidence, as OPA evaluates, without input.module.ref (issue 14 item 2)', async () => {
      for (const body of [{ input: {} }, { input: { module: {} } }, { input: { user: 'alice' } }, {}]) {
        const r = await post('/v1/data/wasm/sbom', body);
        expect(r.status).toBe(200);
        expect(r.json.result).toMatchObject({ allow: false, deny: ['evidence incomplete (module_ref_missing)'] });
      }
      const get = await fetch(`${svc.url}/v1/data/wasm/sbom/allow`);
      expect(await get.json()).toMatchObject({ result: false });
    });

    it('accepts caller fields beside module.ref', async () => {
      const r = await post('/v1/data/wasm/sbom/allow', { input: { module: { ref: REF }, user: 'alice' } });
      expect(r.status).toBe(200);
      expect(r.json.result).toBe(true);
    });
  });
});

describe('POST /v1/data/{other path}', () => {
  it('evaluates the input as given on the active bundle', async () => {
    const r = await post('/v1/data/test/echo', { input: { signatures: ['anything goes here'] } });
    expect(r.json).toMatchObject({ result: { signatures: ['anything goes here'] } });
    expect(r.json.decision_id).toBeTypeOf('string');
  });

  it('answers an undefined document with 200 and no result', async () => {
    const r = await post('/v1/data/nothing/here', { input: {} });
    expect(r.status).toBe(200);
    expect(r.json).not.toHaveProperty('result');
    expect(r.json.decision_id).toBeTypeOf('string');
  });

  it('warns when input is missing', async () => {
    const r = await post('/v1/data/data/x', {});
    expect(r.json).toMatchObject({ result: 1, warning: { code: 'api_usage_warning', message: "'input' key missing from the request" } });
  });

  it('maps an evaluation error to OPA\'s 500 shape', async () => {
    const r = await post('/v1/data/test/boom', { input: {} });
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ code: 'internal_error', message: 'error(s) occurred while evaluating query', errors: [{ code: 'eval_conflict_error' }] });
  });

  it('accepts a gzip body and a YAML body', async () => {
    const gz = await post('/v1/data/test/echo', gzipSync(JSON.stringify({ input: { a: 1 } })), { 'content-encoding': 'gzip' });
    expect(gz.json.result).toEqual({ a: 1 });
    const yaml = await post('/v1/data/test/echo', 'input:\n  b: 2\n', { 'content-type': 'application/x-yaml' });
    expect(yaml.json.result).toEqual({ b: 2 });
  });
});

describe('server.encoding.gzip', () => {
  it('gzips answers from server.encoding.gzip.min_length bytes, at compression_level', async () => {
    const sizes: Record<string, number> = {};
    for (const [name, yaml] of [['default', ''], ['small', 'server: {encoding: {gzip: {min_length: 10, compression_level: 1}}}\n'], ['best', 'server: {encoding: {gzip: {min_length: 10, compression_level: 9}}}\n']] as const) {
      const s = await startTestService({ decider: createFakeDecider(), bundle: createFakeBundle({ data: { x: 1 } }), yaml });
      try {
        const { request } = await import('node:http');
        const body = JSON.stringify({ input: { text: 'wasmgate '.repeat(40) } });
        const res = await new Promise<{ encoding: string | undefined; length: number }>((resolve, reject) => {
          const req = request(`${s.url}/v1/data/test/echo`, { method: 'POST', headers: { 'accept-encoding': 'gzip', 'content-type': 'application/json' } }, (r) => {
            let n = 0;
            r.on('data', (c: Buffer) => (n += c.length));
            r.on('end', () => resolve({ encoding: r.headers['content-encoding'], length: n }));
          });
          req.on('error', reject);
          req.end(body);
        });
        sizes[name] = res.length;
        // a ~400-byte answer: under the default 1024 it is sent as is, over a min_length of 10 it is gzipped
        expect(res.encoding).toBe(name === 'default' ? undefined : 'gzip');
      } finally {
        await s.stop();
      }
    }
    expect(sizes.small).toBeLessThan(sizes.default!);
    expect(sizes.best).toBeLessThanOrEqual(sizes.small!);
  });
});

describe('GET /v1/data/{path}?input=', () => {
  it('evaluates the URL-encoded input', async () => {
    const res = await fetch(`${svc.url}/v1/data/wasm/sbom/allow?input=${encodeURIComponent(JSON.stringify({ module: { ref: REF } }))}`);
    expect(await res.json()).toMatchObject({ result: true });
  });
  it('rejects a malformed input parameter with OPA\'s message', async () => {
    const res = await fetch(`${svc.url}/v1/data/test/echo?input=%7Bnope`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/^parameter contains malformed input document/);
  });
});

describe('POST / and /v0/data', () => {
  it('answers the default decision with the raw value', async () => {
    const r = await post('/', { any: 'input' });
    expect(r.json).toEqual({ hello: 'world' });
  });
  it('answers /v0/data with the raw value and 404 when undefined', async () => {
    expect((await post('/v0/data/test/echo', { raw: true })).json).toEqual({ raw: true });
    const r = await post('/v0/data/missing', {});
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ code: 'undefined_document', message: 'document missing: data.missing' });
  });
  it('reports a malformed body as OPA does for unwrapped input', async () => {
    const r = await post('/', '{');
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/^unexpected parse error for input/);
  });
});

describe('bad requests', () => {
  it('answers malformed JSON with 400 invalid_parameter', async () => {
    const r = await post('/v1/data/wasm/sbom', '{"input": {');
    expect(r).toMatchObject({ status: 400, json: { code: 'invalid_parameter' } });
    expect(r.json.message).toMatch(/^body contains malformed input document: /);
  });

  it('answers a body over the size bound with 413 and keeps serving', async () => {
    const r = await post('/v1/data/test/echo', JSON.stringify({ input: { pad: 'x'.repeat(5000) } }));
    expect(r.status).toBe(413);
    expect(r.json.message).toContain('max_length');
    expect((await post('/v1/data/test/echo', { input: 1 })).status).toBe(200);
  });

  it('answers a gzip bomb over the gunzip bound with 413', async () => {
    const r = await post('/v1/data/test/echo', gzipSync(JSON.stringify({ input: 'x'.repeat(20_000_000) })), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
  });

  it('answers deep nesting with 400 before parsing', async () => {
    const deep = `{"input":${'['.repeat(50)}${']'.repeat(50)}}`;
    const r = await post('/v1/data/test/echo', deep);
    expect(r.status).toBe(400);
    expect(r.json.message).toContain('nested too deeply');
  });

  it('answers other methods on /v1/data with 405 and unknown routes with 404, in OPA\'s shape', async () => {
    const put = await fetch(`${svc.url}/v1/data/x`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(await put.json()).toMatchObject({ code: 'invalid_operation' });
    const nf = await fetch(`${svc.url}/nope`);
    expect(nf.status).toBe(404);
    expect(await nf.json()).toMatchObject({ code: 'resource_not_found' });
    expect((await fetch(`${svc.url}/v1/policies`)).status).toBe(501);
  });
});

describe('paths above a decision path', () => {
  it('refuse caller evidence', async () => {
    const r = await post('/v1/data/wasm', { input: { signatures: [] } });
    expect(r.status).toBe(400);
    expect(r.json.message).toContain('remove input.signatures');
  });
  it('evaluate on the evidence wasmgate assembled for module.ref', async () => {
    const r = await post('/v1/data/wasm', { input: { module: { ref: REF } } });
    expect(r.json.result).toMatchObject({ sbom: { allow: true, valid_sbom_attestation: true } });
    expect(decider.calls.at(-1)!.path).toBe('wasm/sbom');
    const root = await post('/v1/data', { input: {} });
    expect(root.status).toBe(200);
    expect(root.json.result).toMatchObject({ data: { x: 1 }, wasm: { sbom: { allow: false } } });
  });
  it('evaluate without an input', async () => {
    expect((await fetch(`${svc.url}/v1/data/wasm`)).status).toBe(200);
  });
});

describe('other rules under a decision path', () => {
  it('answer the rule evaluated on the assembled input', async () => {
    const r = await post('/v1/data/wasm/sbom/valid_sbom_attestation', { input: { module: { ref: REF } } });
    expect(decider.calls.at(-1)!.path).toBe('wasm/sbom');
    expect(r.json.result).toBe(true);
  });
  it('answer pure data under the package without a module', async () => {
    const r = await post('/v1/data/wasm/sbom/config/sbom_identity', { input: {} });
    expect(r.json.result).toEqual({ subject: 's' });
  });
  it('keep an undefined rule undefined: 200 with no result (issue 14 item 1)', async () => {
    for (const [path, input] of [['wasm/sbom/valid_sbom_attestation', {}], ['wasm/sbom/nonexistent', { module: { ref: REF } }], ['wasm/sbom/valid_sbom_attestation', { module: { ref: `reg.example/unreachable@${D}` } }]] as const) {
      const r = await post(`/v1/data/${path}`, { input });
      expect(r.status, path).toBe(200);
      expect(r.json, path).not.toHaveProperty('result');
    }
  });
});

describe('POST / when default_decision is a decision path (issue 14 item 2)', () => {
  it('answers {} as OPA: the policy runs on no evidence; caller evidence is refused', async () => {
    const own = await startTestService({ decider: createFakeDecider(), bundle: withSbomPackage(createFakeBundle()), yaml: 'default_decision: /wasm/sbom/allow\nregistries: {allow: [reg.example]}\n' });
    try {
      const ask = async (body: string): Promise<{ status: number; text: string }> => {
        const res = await fetch(`${own.url}/`, { method: 'POST', body });
        return { status: res.status, text: await res.text() };
      };
      expect(await ask('{}')).toEqual({ status: 200, text: 'false\n' });
      expect(await ask(JSON.stringify({ module: { ref: REF } }))).toEqual({ status: 200, text: 'true\n' });
      const forged = await ask(JSON.stringify({ module: { ref: REF }, sbom_attestations: [] }));
      expect(forged.status).toBe(400);
      expect(forged.text).toContain('input.sbom_attestations');
    } finally {
      await own.stop();
    }
  });
});

describe('a policy that allows whatever the evidence (fail closed around it)', () => {
  it('never answers allow for a decision with errors, at the decision path, its rules or above it', async () => {
    const own = await startTestService({
      decider: createFakeDecider({ fail: () => new RegistryError('REGISTRY_UNREACHABLE', 'connection refused') }),
      bundle: createFakeBundle({ wasm: { sbom: { allow: true, deny: [] } } }),
      yaml: 'registries: {allow: [reg.example]}\n',
    });
    try {
      const ask = async (path: string): Promise<unknown> => {
        const res = await fetch(`${own.url}${path}`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: REF } } }) });
        return ((await res.json()) as { result?: unknown }).result;
      };
      expect(await ask('/v1/data/wasm/sbom/allow')).toBe(false);
      expect(await ask('/v1/data/wasm/sbom')).toMatchObject({ allow: false });
      expect(await ask('/v1/data/wasm/sbom?verdict')).toMatchObject({ allow: false, deny: ['registry_unreachable: connection refused'] });
      expect(await ask('/v1/data/wasm')).toMatchObject({ sbom: { allow: false } });
      expect(await ask('/v1/data')).toMatchObject({ wasm: { sbom: { allow: false } } });
    } finally {
      await own.stop();
    }
  });
});

describe('the package document evaluated with the decision', () => {
  let svc2: RunningService & { url: string };
  let decider2: FakeDecider;
  beforeAll(async () => {
    const bundle = withSbomPackage(createFakeBundle({ data: { x: 1 } }));
    // the decision brings the whole document (evaluated on an evaluation worker): the server answers it as is
    decider2 = createFakeDecider({
      revision: bundle.revision,
      answer: (req) => (req.document === true ? { document: true, result: { allow: true, deny: [], from_the_decision: true } } : {}),
    });
    svc2 = await startTestService({ decider: decider2, bundle, yaml: 'registries: {allow: [reg.example]}\n' });
  });
  afterAll(async () => svc2.stop());
  const ask = async (path: string): Promise<unknown> => {
    const res = await fetch(`${svc2.url}${path}`, { method: 'POST', body: JSON.stringify({ input: { module: { ref: REF } } }), headers: { 'content-type': 'application/json' } });
    return ((await res.json()) as { result?: unknown }).result;
  };

  it('asks the decider for the document and answers it without evaluating it again on the event loop', async () => {
    expect(await ask('/v1/data/wasm/sbom')).toEqual({ allow: true, deny: [], from_the_decision: true });
    expect(decider2.calls.at(-1)).toMatchObject({ path: 'wasm/sbom', document: true });
  });

  it('asks only for the verdict when that is all the caller wants', async () => {
    expect(await ask('/v1/data/wasm/sbom?verdict')).toEqual({ allow: true, deny: [], digest: D });
    expect(decider2.calls.at(-1)?.document).toBeUndefined();
    expect(await ask('/v1/data/wasm/sbom/allow')).toBe(true);
    expect(decider2.calls.at(-1)?.document).toBeUndefined();
  });
});
