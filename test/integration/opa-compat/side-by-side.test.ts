/**
 * Issue 14, "done when": `opa run --server` (the pinned OPA 1.22.3) and `wasmgate serve`
 * on the same policy, asked the same questions. wasmgate is sent what a caller sends
 * (`input.module.ref`); OPA is sent the input document wasmgate assembles for it
 * (replayed), or the very same request where the answer does not depend on evidence.
 * Status, content type and body must be identical, modulo `decision_id` (wasmgate
 * always names its decision; OPA only with decision logging on). Every other
 * difference is listed in docs/service.md ("Deviations from OPA") and asserted in the
 * last block here, so that the list stays true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { OPAClient } from '@styra/opa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalDecider } from '../../../src/cli/runtime.ts';
import { evidencelessInput, MODULE_REF_MISSING } from '../../../src/server/opa-api/decision-input.ts';
import { REPO } from '../../support/e2e.ts';
import { requireTool } from '../../support/tools.ts';
import { freePort } from '../server/helpers.ts';

const MODULES = ['payments', 'vulnerable', 'unsigned', 'spoofed'] as const;
type Mod = (typeof MODULES)[number];
// digest-pinned, so that wasmgate caches each decision once made (a tag's decision is never stored)
const digests = new Map<Mod, string>();
const refOf = (m: Mod): string => `oci:demo/store@${digests.get(m)!}`;

interface Reply { status: number; type: string | undefined; encoding: string | undefined; vary: string | undefined; location: string | undefined; body: string }

function send(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'];
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'],
          encoding,
          vary: res.headers.vary,
          location: res.headers.location,
          body: (encoding === 'gzip' ? gunzipSync(raw) : raw).toString(),
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** wasmgate's body without its documented addition (decision_id), parsed when it is JSON. */
function comparable(body: string): unknown {
  if (body.trim() === '') return '';
  const v = JSON.parse(body) as unknown;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const { decision_id: _omit, ...rest } = v as Record<string, unknown>;
    return rest;
  }
  return v;
}

function startProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string; stop: () => Promise<void> } {
  const child = spawn(cmd, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { if (out.length < 65536) out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { if (out.length < 65536) out += c.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function until(ok: () => Promise<boolean>, what: string, output: () => string): Promise<void> {
  const end = Date.now() + 60_000;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > end) throw new Error(`${what} did not come up:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let dir: string;
let opaPort: number;
let wgPort: number;
let opa: ReturnType<typeof startProcess>;
let wg: ReturnType<typeof startProcess>;
const assembled = new Map<Mod, Record<string, unknown>>();
const noEvidence = evidencelessInput([MODULE_REF_MISSING], undefined);
let compared = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wg-opa-compat-'));
  // the policy of wasmgate's embedded bundle, as OPA loads it: the two policy files and data.json (no tests)
  for (const f of ['wasm_sbom_policy.rego', 'wasm_inspection.rego', 'data.json']) await copyFile(join(REPO, 'policies', f), join(dir, f));
  opaPort = await freePort();
  wgPort = await freePort();
  opa = startProcess(requireTool('opa'), ['run', '--server', '--addr', `127.0.0.1:${opaPort}`, '--log-level', 'error', dir]);
  wg = startProcess(process.execPath, [join(REPO, 'bin', 'wasmgate.js'), 'serve', '--addr', `127.0.0.1:${wgPort}`, '--unix-socket', join(dir, 'wg.sock')], { WASMGATE_LOG_LEVEL: 'error' });
  const index = JSON.parse(await readFile(join(REPO, 'demo', 'store', 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  for (const m of MODULES) digests.set(m, index.manifests.find((x) => x.annotations?.['org.opencontainers.image.ref.name'] === m)!.digest);
  // the input wasmgate assembles for each demo module (what OPA is sent); a generous budget on a busy machine
  const local = await createLocalDecider(undefined);
  try {
    for (const m of MODULES) {
      const d = await local.decider.decide({ ref: refOf(m), deadlineMs: 60_000 });
      if (d.input === null) throw new Error(`no input assembled for ${m}: ${JSON.stringify(d.errors)}`);
      assembled.set(m, d.input as unknown as Record<string, unknown>);
    }
  } finally {
    await local.close();
  }
  await until(async () => (await send(opaPort, 'GET', '/health')).status === 200, 'opa run --server', opa.output);
  await until(async () => (await send(wgPort, 'GET', '/health?bundles')).status === 200 && existsSync(join(dir, 'wg.sock')), 'wasmgate serve', wg.output);
  // a first decision on a busy machine may overrun the 900 ms deadline (a fail-closed deny, not cached; the work
  // goes on and warms the caches): ask until each module's decision is made and cached
  for (const m of MODULES) {
    await until(async () => {
      const r = await send(wgPort, 'POST', '/v1/data/wasm/sbom?verdict', JSON.stringify({ input: { module: { ref: refOf(m) } } }));
      return r.status === 200 && !r.body.includes('timeout: no decision');
    }, `a decision for ${m}`, wg.output);
  }
});

afterAll(async () => {
  await wg?.stop();
  await opa?.stop();
  await rm(dir, { recursive: true, force: true });
  // the "done when" of issue 14: at least 60 requests answered identically
  expect(compared).toBeGreaterThanOrEqual(60);
});

interface Case {
  /** what wasmgate is asked */
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** what OPA is asked instead (the replayed input); default the same request */
  opa?: { path?: string; body?: unknown };
}

async function same(c: Case): Promise<{ wg: Reply; opa: Reply }> {
  const wgBody = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
  const opaBodyValue = c.opa?.body ?? c.body;
  const opaBody = opaBodyValue === undefined ? undefined : typeof opaBodyValue === 'string' ? opaBodyValue : JSON.stringify(opaBodyValue);
  const [w, o] = await Promise.all([send(wgPort, c.method, c.path, wgBody, c.headers), send(opaPort, c.method, c.opa?.path ?? c.path, opaBody, c.headers)]);
  const what = `${c.method} ${c.path}`;
  expect(w.status, `${what}: wasmgate ${w.body} / opa ${o.body}`).toBe(o.status);
  expect(w.type, what).toBe(o.type);
  expect(w.location, what).toBe(o.location);
  expect(comparable(w.body), `${what}: wasmgate ${w.body}`).toEqual(comparable(o.body));
  // byte for byte where wasmgate adds nothing (errors, raw /v0 values, health)
  if (!w.body.includes('"decision_id"')) expect(w.body, what).toBe(o.body);
  compared++;
  return { wg: w, opa: o };
}

const replayV1 = (m: Mod, extra: Record<string, unknown> = {}): { body: unknown; opa: { body: unknown } } => ({
  body: { input: { module: { ref: refOf(m) }, ...extra } },
  opa: { body: { input: assembled.get(m) } },
});
const q = (v: unknown): string => encodeURIComponent(JSON.stringify(v));

describe('side by side with opa run --server 1.22.3 (issue 14)', () => {
  describe('item 3: the package document and its rules, for every demo module', () => {
    it.each(MODULES)('POST /v1/data/wasm/sbom answers the package document (%s)', async (m) => {
      const { wg: w } = await same({ method: 'POST', path: '/v1/data/wasm/sbom', ...replayV1(m) });
      const doc = (JSON.parse(w.body) as { result: Record<string, unknown> }).result;
      expect(doc.allow).toBe(m === 'payments');
      expect(doc).toHaveProperty('config');
    });
    it.each(MODULES)('allow, deny and the helper rules agree (%s)', async (m) => {
      for (const rule of ['allow', 'deny', 'critical_matches', 'no_critical_vulns', 'valid_sbom_attestation', 'valid_provenance_attestation']) {
        await same({ method: 'POST', path: `/v1/data/wasm/sbom/${rule}`, ...replayV1(m) });
      }
    });
    it.each(MODULES)('GET ?input= and /v0/data agree (%s)', async (m) => {
      await same({ method: 'GET', path: `/v1/data/wasm/sbom/allow?input=${q({ module: { ref: refOf(m) } })}`, opa: { path: `/v1/data/wasm/sbom/allow?input=${q(assembled.get(m))}` } });
      await same({ method: 'POST', path: '/v0/data/wasm/sbom/allow', body: { module: { ref: refOf(m) } }, opa: { body: assembled.get(m) } });
    });
    it('paths above the decision path evaluate on the assembled input', async () => {
      await same({ method: 'POST', path: '/v1/data/wasm', ...replayV1('payments') });
      await same({ method: 'POST', path: '/v1/data/wasm', ...replayV1('vulnerable') });
      await same({ method: 'POST', path: '/v1/data', ...replayV1('spoofed') });
    });
  });

  describe('item 1: undefined stays undefined', () => {
    it('an undefined rule answers 200 with no result', async () => {
      const { wg: w } = await same({ method: 'POST', path: '/v1/data/wasm/sbom/valid_provenance_attestation', ...replayV1('unsigned') });
      expect(JSON.parse(w.body)).not.toHaveProperty('result');
      await same({ method: 'POST', path: '/v1/data/wasm/sbom/valid_sbom_attestation', ...replayV1('spoofed') });
      await same({ method: 'POST', path: '/v1/data/wasm/sbom/nonexistent', ...replayV1('payments') });
      await same({ method: 'POST', path: '/v1/data/wasm/nonexistent', body: { input: {} } });
      await same({ method: 'POST', path: '/v1/data/nonexistent/path', body: { input: {} } });
      await same({ method: 'GET', path: '/v1/data/wasm/sbom/nonexistent' });
    });
    it('/v0/data answers 404 undefined_document for an undefined document', async () => {
      await same({ method: 'POST', path: '/v0/data/wasm/sbom/nonexistent', body: { module: { ref: refOf('payments') } }, opa: { body: assembled.get('payments') } });
      await same({ method: 'POST', path: '/v0/data/nothing', body: {} });
    });
    it('POST / with {} answers the (undefined) default decision as OPA', async () => {
      await same({ method: 'POST', path: '/', body: {} });
    });
  });

  describe('item 2: inputs OPA accepts', () => {
    it('no input, {} and pure data under the package', async () => {
      await same({ method: 'GET', path: '/v1/data/wasm/sbom/allow' });
      await same({ method: 'POST', path: '/v1/data/wasm/sbom/allow', body: {} });
      await same({ method: 'POST', path: '/v1/data/wasm/sbom/allow', body: { input: {} } });
      await same({ method: 'GET', path: '/v1/data/wasm/sbom/config/sbom_identity' });
      await same({ method: 'POST', path: '/v1/data/wasm/sbom/config', body: { input: {} } });
      await same({ method: 'POST', path: '/v1/data/wasm/sbom/config/provenance_identity/issuer', body: {} });
      await same({ method: 'GET', path: `/v1/data/wasm/sbom/config/inspection?input=${q({})}` });
    });
    it('the package document without module.ref: the policy runs on no evidence', async () => {
      await same({ method: 'POST', path: '/v1/data/wasm/sbom', body: { input: {} }, opa: { body: { input: noEvidence } } });
      await same({ method: 'POST', path: '/v1/data/wasm/sbom/deny', body: { input: { user: 'alice' } }, opa: { body: { input: noEvidence } } });
      await same({ method: 'POST', path: '/v1/data/wasm', body: { input: {} }, opa: { body: { input: noEvidence } } });
      await same({ method: 'POST', path: '/v1/data', body: { input: {} }, opa: { body: { input: noEvidence } } });
    });
    it('caller fields beside module.ref are accepted', async () => {
      await same({ method: 'POST', path: '/v1/data/wasm/sbom/allow', ...replayV1('payments', { user: 'alice' }) });
      await same({ method: 'POST', path: '/v1/data/wasm/sbom', ...replayV1('vulnerable', { user: 'alice' }) });
    });
  });

  describe('item 7: transport details', () => {
    it('HEAD answers 405, a trailing slash 301 and an unclean path 307 to the clean one', async () => {
      await same({ method: 'HEAD' as 'GET', path: '/v1/data/wasm/sbom/allow' });
      await same({ method: 'HEAD' as 'GET', path: '/v1/data' });
      await same({ method: 'POST', path: '/v1/data/wasm/sbom/allow/', body: { input: {} } });
      await same({ method: 'POST', path: '/v1/data/', body: { input: {} } });
      await same({ method: 'POST', path: '/v1/data/wasm//sbom/allow', body: { input: {} } });
      await same({ method: 'POST', path: '/v1/data/wasm/./sbom/allow?pretty', body: { input: {} } });
      await same({ method: 'POST', path: '/v0/data/wasm/x/../sbom/allow', body: {} });
    });
    it('gzips a large answer for a client that accepts it, with Vary: Accept-Encoding', async () => {
      const { wg: w, opa: o } = await same({ method: 'POST', path: '/v1/data/wasm/sbom', ...replayV1('vulnerable'), headers: { 'accept-encoding': 'gzip' } });
      expect(w.encoding).toBe('gzip');
      expect(w.encoding).toBe(o.encoding);
      expect(w.vary).toBe(o.vary);
      const small = await same({ method: 'POST', path: '/v1/data/wasm/sbom/allow', ...replayV1('payments'), headers: { 'accept-encoding': 'gzip' } });
      expect(small.wg.encoding).toBe(small.opa.encoding);
      expect(small.wg.vary).toBe('Accept-Encoding');
    });
    it('?pretty indents the same way', async () => {
      const { wg: w, opa: o } = await same({ method: 'POST', path: '/v1/data/wasm/sbom/deny?pretty', ...replayV1('unsigned') });
      expect(w.body.replace(/,?\n\s*"decision_id": "[^"]+"/, '')).toBe(o.body);
    });
    it('health: /health, and /health/live and /health/ready without a system.health policy', async () => {
      await same({ method: 'GET', path: '/health' });
      await same({ method: 'GET', path: '/health/live' });
      await same({ method: 'GET', path: '/health/ready' });
    });
    it('malformed input is a 400 invalid_parameter on both', async () => {
      for (const c of [{ method: 'POST' as const, path: '/v1/data/wasm/sbom', body: '{"input":' }, { method: 'GET' as const, path: '/v1/data/wasm/sbom?input=%7Bnope' }]) {
        const [w, o] = await Promise.all([send(wgPort, c.method, c.path, c.body), send(opaPort, c.method, c.path, c.body)]);
        expect(w.status).toBe(o.status);
        expect(w.type).toBe(o.type);
        expect((JSON.parse(w.body) as { code: string }).code).toBe((JSON.parse(o.body) as { code: string }).code);
        compared++;
      }
    });
    it('?provenance carries OPA\'s build fields; ?instrument and ?metrics answer metrics', async () => {
      const [w, o] = await Promise.all([send(wgPort, 'POST', '/v1/data/wasm/sbom/allow?provenance&instrument', JSON.stringify({ input: {} })), send(opaPort, 'POST', '/v1/data/wasm/sbom/allow?provenance&instrument', JSON.stringify({ input: {} }))]);
      const wb = JSON.parse(w.body) as { provenance: Record<string, unknown>; metrics: Record<string, number>; result: unknown };
      const ob = JSON.parse(o.body) as { provenance: Record<string, unknown>; metrics: Record<string, number>; result: unknown };
      expect(wb.result).toEqual(ob.result);
      for (const k of Object.keys(ob.provenance)) expect(wb.provenance, k).toHaveProperty(k);
      expect(wb.metrics).toHaveProperty('timer_server_handler_ns');
      expect(ob.metrics).toHaveProperty('timer_server_handler_ns');
      compared++;
    });
    it('/v1/config labels carry id and version', async () => {
      const [w, o] = await Promise.all([send(wgPort, 'GET', '/v1/config'), send(opaPort, 'GET', '/v1/config')]);
      const wl = (JSON.parse(w.body) as { result: { labels: Record<string, string> } }).result.labels;
      const ol = (JSON.parse(o.body) as { result: { labels: Record<string, string> } }).result.labels;
      // wasmgate's embedded default config adds its own label (app); OPA's id and version are there
      expect(Object.keys(wl)).toEqual(expect.arrayContaining(Object.keys(ol)));
      expect(Object.keys(ol).sort()).toEqual(['id', 'version']);
      expect(wl.id).toMatch(/^[0-9a-f-]{36}$/);
      compared++;
    });
  });

  describe('@styra/opa reads both the same way', () => {
    it('evaluate() on the package document, a rule and an undefined rule', async () => {
      const wgc = new OPAClient(`http://127.0.0.1:${wgPort}`);
      const opac = new OPAClient(`http://127.0.0.1:${opaPort}`);
      for (const m of MODULES) {
        expect(await wgc.evaluate('wasm/sbom', { module: { ref: refOf(m) } })).toEqual(await opac.evaluate('wasm/sbom', assembled.get(m)));
        expect(await wgc.evaluate('wasm/sbom/allow', { module: { ref: refOf(m) } })).toEqual(await opac.evaluate('wasm/sbom/allow', assembled.get(m)));
      }
      const undef = async (c: OPAClient, input: unknown): Promise<string> => c.evaluate('wasm/sbom/valid_provenance_attestation', input as Record<string, unknown>).then((v) => `value ${JSON.stringify(v)}`, (e: unknown) => `error ${(e as Error).name}`);
      expect(await undef(wgc, { module: { ref: refOf('unsigned') } })).toBe(await undef(opac, assembled.get('unsigned')));
    });
  });

  describe('documented deviations (docs/service.md) still hold', () => {
    it('caller evidence is refused with 400 where OPA would evaluate it', async () => {
      const r = await send(wgPort, 'POST', '/v1/data/wasm/sbom/allow', JSON.stringify({ input: { module: { ref: refOf('vulnerable') }, sbom_attestations: [] } }));
      expect(r.status).toBe(400);
      expect(r.body).toContain('remove input.sbom_attestations');
    });
    it('?explain is reported unsupported in the warning', async () => {
      const r = await send(wgPort, 'POST', '/v1/data/wasm/sbom/allow?explain=full', JSON.stringify({ input: {} }));
      expect(JSON.parse(r.body)).toMatchObject({ result: false, warning: { code: 'api_usage_warning', message: expect.stringContaining('explain=full is not supported') } });
    });
    it('?verdict answers the compact {allow, deny, digest}', async () => {
      const r = await send(wgPort, 'POST', '/v1/data/wasm/sbom?verdict', JSON.stringify({ input: { module: { ref: refOf('payments') } } }));
      expect((JSON.parse(r.body) as { result: unknown }).result).toEqual({ allow: true, deny: [], digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    });
    it('an encoded slash in a segment is a 400 (OPA looks up a key containing "/")', async () => {
      const r = await send(wgPort, 'POST', '/v1/data/wasm%2Fsbom/allow', JSON.stringify({ input: {} }));
      expect(r.status).toBe(400);
    });
  });
});
