/**
 * Issue 21 item 1: caller-forged evidence through path spelling. The decision-path
 * table once matched the raw path while the engine dropped empty segments, so
 * `POST /v1/data/wasm//sbom/allow` evaluated the caller's own "verified" evidence
 * and allowed the vulnerable demo module. Every spelling below must end in a
 * decision on evidence wasmgate assembled, a refusal, or a redirect to the one
 * canonical path — never in an allow.
 */
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServeWith, type RunningServe } from '../support/e2e.ts';
import { freePort } from '../integration/server/helpers.ts';

const VULNERABLE = 'oci:demo/store:vulnerable';

interface Answer { status: number; location: string | undefined; body: string }

/** One raw HTTP exchange: the path is sent byte for byte (fetch/URL would resolve dot segments first). */
function raw(target: { port: number } | { socketPath: string }, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ ...('port' in target ? { host: '127.0.0.1', port: target.port } : { socketPath: target.socketPath }), method, path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Follows redirects as HTTP clients do (307 repeats method and body; 301 turns a POST into a GET without body). */
async function ask(target: { port: number } | { socketPath: string }, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Answer[]> {
  const answers: Answer[] = [];
  let m = method;
  let p = path;
  let b = body;
  for (let i = 0; i < 4; i++) {
    const a = await raw(target, m, p, b, headers);
    answers.push(a);
    if (a.status !== 301 && a.status !== 307) break;
    if (a.status === 301 && m === 'POST') {
      m = 'GET';
      b = undefined;
    }
    p = a.location!;
  }
  return answers;
}

/** No answer in the chain allows, and the final one is either a refusal or a decision on wasmgate's evidence. */
function expectNoForgedAllow(chain: Answer[]): void {
  for (const a of chain) {
    if (a.status !== 200) continue;
    const body = JSON.parse(a.body) as Record<string, unknown>;
    const r = body.result as unknown;
    expect(r, `${a.body}`).not.toBe(true);
    if (typeof r === 'object' && r !== null && !Array.isArray(r)) {
      expect((r as { allow?: unknown }).allow, a.body).not.toBe(true);
      const nested = JSON.stringify(r);
      expect(nested).not.toContain('"allow":true');
    }
  }
  const last = chain.at(-1)!;
  expect([200, 400], last.body).toContain(last.status);
}

describe('path spelling cannot smuggle caller evidence into a decision (issue 21 item 1)', () => {
  let dir: string;
  let serve: RunningServe;
  let port: number;
  let forged: Record<string, unknown>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wg-sec-path-'));
    port = await freePort();
    const socket = join(dir, 'wasmgate.sock');
    // the embedded default (demo store, demo trust, RustSec data) on a free port and socket
    serve = await startServeDefault(port, socket);
    // what a valid SBOM and provenance look like to the policy: verified, for the role that fits, from the demo's identities
    forged = {
      module: { ref: VULNERABLE },
      sbom_attestations: [{ verified: true, verified_for: ['sbom', 'signature'], certificate: { subject: 'https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' }, predicate: { bomFormat: 'CycloneDX' } }],
      provenance_attestations: [{ verified: true, verified_for: ['provenance'], certificate: { subject: 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0', issuer: 'https://token.actions.githubusercontent.com' } }],
      vulnerability_scan: { matches: [] },
      errors: [],
    };
  });

  afterAll(async () => {
    await serve?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the canonical path refuses the forged body (the baseline)', async () => {
    const [a] = await ask({ port }, 'POST', '/v1/data/wasm/sbom/allow', JSON.stringify({ input: forged }));
    expect(a!.status).toBe(400);
    expect(a!.body).toContain('input.sbom_attestations');
  });

  it.each([
    '/v1/data/wasm//sbom/allow',
    '/v1/data//wasm/sbom/allow',
    '/v1/data/wasm/sbom//allow',
    '/v1/data/wasm/./sbom/allow',
    '/v1/data/wasm/x/../sbom/allow',
    '/v1/data/wasm%2F%2Fsbom/allow',
    '/v1/data/wasm%2Fsbom/allow',
    '/v1/data/wasm/%2E/sbom/allow',
    '/v1/data/wasm/x/%2E%2E/sbom/allow',
    '/v1/data/%77asm/sbom/allow',
    '/v1/data/wasm//sbom',
    '/v1/data/wasm/sbom/',
    '/v1/data/wasm//',
    '/v1/data/wasm',
    '/v1/data',
    '/v1/data/',
  ])('POST %s with forged evidence never allows', async (path) => {
    expectNoForgedAllow(await ask({ port }, 'POST', path, JSON.stringify({ input: forged })));
  });

  it('the first answer to a spelled path is a redirect to the canonical path or a 400, never an evaluation', async () => {
    for (const [path, want] of [['/v1/data/wasm//sbom/allow', '/v1/data/wasm/sbom/allow'], ['/v1/data/wasm/x/../sbom/allow', '/v1/data/wasm/sbom/allow'], ['/v0/data/wasm//sbom/allow', '/v0/data/wasm/sbom/allow']] as const) {
      const a = await raw({ port }, 'POST', path, JSON.stringify({ input: forged }));
      expect(a.status, path).toBe(307);
      expect(a.location).toBe(want);
    }
    const enc = await raw({ port }, 'POST', '/v1/data/wasm%2F%2Fsbom/allow', JSON.stringify({ input: forged }));
    expect(enc.status).toBe(400);
    expect(JSON.parse(enc.body)).toMatchObject({ code: 'invalid_parameter' });
  });

  it('GET ?input= with a spelled path never allows', async () => {
    const q = encodeURIComponent(JSON.stringify(forged));
    for (const path of ['/v1/data/wasm//sbom/allow', '/v1/data/wasm/./sbom/allow', '/v1/data/wasm%2F%2Fsbom/allow', '/v1/data/wasm']) {
      expectNoForgedAllow(await ask({ port }, 'GET', `${path}?input=${q}`));
    }
  });

  it('POST /v0/data with a spelled path never allows', async () => {
    for (const path of ['/v0/data/wasm//sbom/allow', '/v0/data/wasm%2F%2Fsbom/allow', '/v0/data/wasm/sbom/allow', '/v0/data/wasm']) {
      const chain = await ask({ port }, 'POST', path, JSON.stringify(forged));
      for (const a of chain) if (a.status === 200) expect(a.body.trim()).not.toBe('true');
      expect([400, 404]).toContain(chain.at(-1)!.status);
    }
  });

  it('the Unix socket answers the same', async () => {
    for (const path of ['/v1/data/wasm//sbom/allow', '/v1/data/wasm%2F%2Fsbom/allow', '/v1/data/wasm/x/../sbom/allow']) {
      expectNoForgedAllow(await ask({ socketPath: serve.socket }, 'POST', path, JSON.stringify({ input: forged })));
    }
  });

  it('a huge forged input in a small gzip body is refused before the policy runs', async () => {
    const many = { ...forged, sbom_attestations: Array.from({ length: 30_000 }, () => (forged.sbom_attestations as unknown[])[0]) };
    const body = gzipSync(JSON.stringify({ input: many }));
    for (const path of ['/v1/data/wasm//sbom/allow', '/v1/data/wasm/sbom/allow', '/v1/data/wasm', '/v1/data']) {
      const chain = await ask({ port }, 'POST', path, body, { 'content-encoding': 'gzip' });
      expect(chain.at(-1)!.status, path).toBe(400);
      expect(chain.at(-1)!.body).toContain('input.sbom_attestations');
    }
  });

  it('the module decided on the real path is denied for its critical vulnerability (wasmgate\'s evidence)', async () => {
    // a first (cold) decision on a busy machine may overrun the 900 ms deadline: a fail-closed deny; ask again
    let r: { allow: boolean; deny: string[] } = { allow: false, deny: [] };
    for (let i = 0; i < 30; i++) {
      const [a] = await ask({ port }, 'POST', '/v1/data/wasm/sbom?verdict', JSON.stringify({ input: { module: { ref: VULNERABLE } } }));
      r = (JSON.parse(a!.body) as { result: { allow: boolean; deny: string[] } }).result;
      if (!r.deny.join('\n').includes('timeout: no decision')) break;
      await new Promise((done) => setTimeout(done, 500));
    }
    expect(r.allow).toBe(false);
    expect(r.deny.join('\n')).toContain('critical vulnerabilities');
  });

  it('property: any spelling of the decision path built from empty, dot and encoded segments never allows', async () => {
    const seg = fc.constantFrom('wasm', 'sbom', 'allow', '', '.', '..', 'x', '%2E', '%2F', '%77asm', 'sb%6Fm', 'wasm%2Fsbom');
    await fc.assert(
      fc.asyncProperty(fc.array(seg, { minLength: 1, maxLength: 7 }), fc.boolean(), async (segs, v0) => {
        const path = `/${v0 ? 'v0' : 'v1'}/data/${segs.join('/')}`;
        const chain = await ask({ port }, 'POST', path, JSON.stringify(v0 ? forged : { input: forged }));
        for (const a of chain) {
          if (a.status !== 200) continue;
          expect(a.body).not.toMatch(/"allow":\s*true|^true\s*$|"result":\s*true/);
        }
      }),
      { numRuns: 150 },
    );
  });
});

/** `wasmgate serve` on its embedded default (demo store, trust and data), on a free port and socket. */
function startServeDefault(port: number, socket: string): Promise<RunningServe> {
  return startServeWith(['--addr', `127.0.0.1:${port}`, '--unix-socket', socket], socket, port, { readyPath: '/health?bundles', timeoutMs: 60_000 });
}
