/**
 * Reliability 3 — fuzz (fast-check, fixed seeds; WASMGATE_LONG=1 runs ten times more): request
 * bodies to the HTTP API, the CycloneDX / SPDX / Cargo.lock parsers, OSV records, policy bundles
 * (tar.gz), OCI manifests and wasm binaries. Every input is either accepted or rejected with a
 * WasmgateError carrying a SCREAMING_SNAKE code (an OPA-shaped 4xx {code, message} over HTTP);
 * nothing crashes, nothing answers 5xx.
 *
 * Reused, not duplicated: the wasm section fuzzer in test/unit/analyse/wasm/inspect.fuzz.test.ts (section-aware
 * mutations of a component and a core module); here the same inputs (test/support/wasm) get plain byte
 * mutations at the long-mode counts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentsFromCargoLock, componentsFromInput, componentsFromSbom, detectInput } from '../../src/analyse/sbom/index.ts';
import { buildOsvDatabase } from '../../src/analyse/vulns/index.ts';
import { inspectWasm } from '../../src/analyse/wasm/index.ts';
import { WasmgateError } from '../../src/common/error.ts';
import { embeddedBundlePath, loadBundle } from '../../src/policy/engine/index.ts';
import { parseManifestDocument } from '../../src/registry/manifest.ts';
import { createFakeDecider } from '../support/fake-decider.ts';
import { startTestService } from '../support/service.ts';
import { encodeCoreModule, producersPayload } from '../support/wasm/encode.ts';
import { readComponentFixture } from '../support/wasm/fixtures.ts';
import { count, recorder, REPO, trapUnhandled } from './support/results.ts';

const results = recorder('fuzz', 'Fuzz: parsers, bundles, manifests, wasm and the HTTP API');
const CODE = /^[A-Z][A-Z0-9_]+$/;
const unhandled = trapUnhandled();

/** What an input did: accepted, rejected with a code, or a failure (described). */
function classify(fn: () => unknown): { ok: true } | { ok: false; failure: string } {
  try {
    fn();
    return { ok: true };
  } catch (err) {
    if (WasmgateError.isWasmgateError(err) && CODE.test(err.code) && err.message.length > 0) return { ok: true };
    return { ok: false, failure: err instanceof Error ? `${err.constructor.name}: ${err.message}`.slice(0, 300) : `non-error thrown: ${String(err)}` };
  }
}

async function classifyAsync(fn: () => Promise<unknown>): Promise<{ ok: true } | { ok: false; failure: string }> {
  try {
    await fn();
    return { ok: true };
  } catch (err) {
    if (WasmgateError.isWasmgateError(err) && CODE.test(err.code) && err.message.length > 0) return { ok: true };
    return { ok: false, failure: err instanceof Error ? `${err.constructor.name}: ${err.message}`.slice(0, 300) : `non-error thrown: ${String(err)}` };
  }
}

function finish(scenario: string, unit: string, n: number, failures: string[], checks: string): void {
  results.record({ scenario, unit, count: n, failures: failures.length, checks, ...(failures[0] ? { first_failure: failures[0] } : {}) });
  expect(failures.slice(0, 5)).toEqual([]);
}

// ---- mutations ---------------------------------------------------------------------------------

type JsonPath = Array<string | number>;

function paths(v: unknown, at: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  out.push(at);
  if (out.length > 5000) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

/** Replaces (or deletes) the subtree at one of the document's paths. */
function mutateJson(doc: unknown, pick: number, replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(doc);
  const all = paths(copy);
  const path = all[pick % all.length]!;
  if (path.length === 0) return replacement;
  let parent: unknown = copy;
  for (const k of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[k];
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') {
    if (remove) parent.splice(last, 1);
    else parent[last] = replacement;
  } else if (parent !== null && typeof parent === 'object') {
    if (remove) delete (parent as Record<string, unknown>)[String(last)];
    else (parent as Record<string, unknown>)[String(last)] = replacement;
  }
  return copy;
}

const jsonMutation = fc.record({ pick: fc.nat(), replacement: fc.jsonValue({ maxDepth: 3 }), remove: fc.boolean(), times: fc.integer({ min: 1, max: 4 }) });

function applyJson(doc: unknown, m: { pick: number; replacement: unknown; remove: boolean; times: number }): unknown {
  let out = doc;
  for (let i = 0; i < m.times; i++) out = mutateJson(out, m.pick * (i + 1) + i, m.replacement, m.remove && i % 2 === 0);
  return out;
}

type ByteMutation = { op: 'flip'; at: number; value: number } | { op: 'truncate'; at: number } | { op: 'insert'; at: number; bytes: number[] } | { op: 'delete'; at: number; len: number };

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
);

function applyBytes(bytes: Uint8Array, ms: readonly ByteMutation[]): Uint8Array {
  let b = bytes;
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.op === 'flip') {
      b = b.slice();
      if (b.length > 0) b[at % b.length] = m.value;
    } else if (m.op === 'truncate') b = b.subarray(0, at);
    else if (m.op === 'insert') b = new Uint8Array([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    else b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + m.len)]);
  }
  return b;
}

const text = (p: string): string => readFileSync(join(REPO, p), 'utf8');

// ---- the suites ----------------------------------------------------------------------------------

describe('fuzz: SBOM parsers (CycloneDX, SPDX, Cargo.lock)', () => {
  const cdx = JSON.parse(text('test/fixtures/sbom/cargo-sbom/examples/sbom.cyclonedx.json')) as unknown;
  const spdx = JSON.parse(text('test/fixtures/sbom/cargo-sbom/examples/sbom.spdx.json')) as unknown;
  const lock = text('test/fixtures/sbom/cargo-sbom/examples/Cargo.lock');

  it('CycloneDX and SPDX documents with mutated subtrees', () => {
    const n = count(1000, 10_000);
    const failures: string[] = [];
    for (const [i, m] of fc.sample(fc.tuple(fc.boolean(), jsonMutation), { seed: 1001, numRuns: n }).entries()) {
      const doc = applyJson(m[0] ? cdx : spdx, m[1]);
      const r1 = classify(() => componentsFromSbom(doc));
      const r2 = classify(() => componentsFromInput(detectInput(JSON.stringify(doc))));
      for (const r of [r1, r2]) if (!r.ok) failures.push(`#${i}: ${r.failure}`);
    }
    finish('CycloneDX / SPDX documents (mutated subtrees)', 'inputs', n, failures, 'componentsFromSbom and detectInput+componentsFromInput accept or throw a coded WasmgateError');
  });

  it('Cargo.lock text with byte mutations, and arbitrary text', () => {
    const n = count(400, 4000);
    const failures: string[] = [];
    const base = new TextEncoder().encode(lock);
    const arb = fc.oneof(fc.array(byteMutation, { minLength: 1, maxLength: 4 }).map((ms) => new TextDecoder().decode(applyBytes(base, ms))), fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }));
    for (const [i, s] of fc.sample(arb, { seed: 1002, numRuns: n }).entries()) {
      const r1 = classify(() => componentsFromCargoLock(s));
      const r2 = classify(() => componentsFromInput(detectInput(s)));
      for (const r of [r1, r2]) if (!r.ok) failures.push(`#${i}: ${r.failure}`);
    }
    finish('Cargo.lock / arbitrary text', 'inputs', n, failures, 'componentsFromCargoLock and detectInput accept or throw a coded WasmgateError');
  });
});

describe('fuzz: OSV records', () => {
  it('real RustSec records with mutated subtrees, alone and among valid ones', async () => {
    const { unzipSync } = await import('fflate');
    const files = unzipSync(readFileSync(join(REPO, 'demo/osv/rustsec-osv-all.zip')));
    const names = Object.keys(files).sort().slice(0, 50);
    const records = names.map((k) => JSON.parse(new TextDecoder().decode(files[k])) as unknown);
    const n = count(300, 3000);
    const failures: string[] = [];
    const arb = fc.tuple(fc.nat(), jsonMutation, fc.boolean());
    for (const [i, [which, m, alone]] of fc.sample(arb, { seed: 1003, numRuns: n }).entries()) {
      const bad = applyJson(records[which % records.length], m);
      const entries = [{ name: 'fuzz.json', bytes: new TextEncoder().encode(JSON.stringify(bad)) }];
      if (!alone) entries.push(...names.slice(0, 5).map((k) => ({ name: k, bytes: files[k]! })));
      const r = classify(() => buildOsvDatabase(entries));
      if (!r.ok) failures.push(`#${i}: ${r.failure}`);
    }
    finish('OSV records (mutated subtrees)', 'inputs', n, failures, 'buildOsvDatabase skips or rejects with a coded WasmgateError');
  });
});

describe('fuzz: OCI manifests', () => {
  it('image manifests and indexes with mutated subtrees and bytes', () => {
    const d = (c: string): string => `sha256:${c.repeat(64)}`;
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/wasm', config: { mediaType: 'application/vnd.wasm.config.v0+json', digest: d('a'), size: 2 }, layers: [{ mediaType: 'application/wasm', digest: d('b'), size: 100, annotations: { a: 'b' } }], subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('c'), size: 10 }, annotations: { x: 'y' } };
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d('d'), size: 500, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }] };
    const types = [undefined, 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'application/json', 'text/plain'];
    const n = count(2000, 20_000);
    const failures: string[] = [];
    const arb = fc.tuple(fc.boolean(), jsonMutation, fc.array(byteMutation, { maxLength: 2 }), fc.nat());
    for (const [i, [isIndex, m, bm, t]] of fc.sample(arb, { seed: 1004, numRuns: n }).entries()) {
      const bytes = applyBytes(new TextEncoder().encode(JSON.stringify(applyJson(isIndex ? index : manifest, m))), bm);
      const r = classify(() => parseManifestDocument(bytes, types[t % types.length]));
      if (!r.ok) failures.push(`#${i}: ${r.failure}`);
    }
    finish('OCI manifests and indexes', 'inputs', n, failures, 'parseManifestDocument accepts or throws a coded WasmgateError');
  });
});

describe('fuzz: wasm binaries', () => {
  it('a component and a core module with byte mutations', () => {
    const bases = [readComponentFixture(), encodeCoreModule({ imports: [{ module: 'env', name: 'f' }], exports: ['run'], memoryExport: 'memory', customSections: [{ name: 'producers', payload: producersPayload({ language: [['Rust', '']] }) }] })];
    const n = count(2000, 20_000);
    const failures: string[] = [];
    for (const [i, [b, ms]] of fc.sample(fc.tuple(fc.nat(), fc.array(byteMutation, { minLength: 1, maxLength: 4 })), { seed: 1005, numRuns: n }).entries()) {
      const r = classify(() => inspectWasm(applyBytes(bases[b % bases.length]!, ms)));
      if (!r.ok) failures.push(`#${i}: ${r.failure}`);
    }
    finish('wasm binaries (byte mutations; section-aware fuzzing is test/unit/analyse/wasm/inspect.fuzz.test.ts)', 'inputs', n, failures, 'inspectWasm accepts or throws a coded WasmgateError');
  });
});

describe('fuzz: policy bundles (tar.gz)', () => {
  it('the shipped bundle with byte mutations of the archive and of its uncompressed tar', async () => {
    const gz = readFileSync(embeddedBundlePath());
    const { gunzipSync } = await import('node:zlib');
    const tarBytes = new Uint8Array(gunzipSync(gz));
    const n = count(100, 1000);
    const failures: string[] = [];
    const arb = fc.tuple(fc.boolean(), fc.array(byteMutation, { minLength: 1, maxLength: 3 }));
    for (const [i, [inner, ms]] of fc.sample(arb, { seed: 1006, numRuns: n }).entries()) {
      const bytes = inner ? new Uint8Array(gzipSync(applyBytes(tarBytes, ms))) : applyBytes(gz, ms);
      const r = await classifyAsync(() => loadBundle(bytes, { name: 'fuzz' }));
      if (!r.ok) failures.push(`#${i}: ${r.failure}`);
    }
    finish('policy bundles (tar.gz, mutated archive or tar)', 'inputs', n, failures, 'loadBundle loads or rejects with a coded WasmgateError');
  }, 300_000);
});

describe('fuzz: HTTP API request bodies', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    service = await startTestService({ decider: createFakeDecider(), versions: () => ({ bundleRevision: 'rev-1', trustHash: 't', dbVersion: 'd' }) });
  });
  afterAll(async () => {
    await service?.stop();
    results.record({ scenario: 'unhandled rejections / uncaught exceptions', unit: 'suites', count: 1, failures: unhandled.seen.length, checks: 'process-level listeners saw nothing while fuzzing', ...(unhandled.seen[0] ? { first_failure: unhandled.seen[0] } : {}) });
    results.flush();
    unhandled.dispose();
  });

  it('answers every body with 2xx or an OPA-shaped 4xx, never 5xx', async () => {
    const D = `sha256:${'a'.repeat(64)}`;
    const paths = ['/v1/data/wasm/sbom', '/v1/data/wasm/sbom/allow', '/v1/data', '/v0/data/wasm/sbom', '/v1/data/wasm/sbom?pretty=true&metrics=true', '/v1/query', '/', '/v1/data/%zz'];
    const ctypes = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', ''];
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ input: v })),
      fc.record({ ref: fc.oneof(fc.string({ maxLength: 80 }), fc.constant(`reg.example/app@${D}`), fc.constant(`oci:../../etc@${D}`)), request: fc.jsonValue({ maxDepth: 2 }) }).map((v) => JSON.stringify({ input: { module: { ref: v.ref }, request: v.request } })),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.integer({ min: 1, max: 200 }).map((depth) => `${'{"input":'.repeat(depth)}1${'}'.repeat(depth)}`),
    );
    const n = count(600, 6000);
    const failures: string[] = [];
    const samples = fc.sample(fc.tuple(fc.nat(), fc.nat(), body, fc.constantFrom('POST', 'PUT', 'GET', 'PATCH')), { seed: 1007, numRuns: n });
    for (const [i, [p, c, b, method]] of samples.entries()) {
      const path = paths[p % paths.length]!;
      const ct = ctypes[c % ctypes.length]!;
      try {
        const res = await fetch(`${service.url}${path}`, { method, headers: ct ? { 'content-type': ct } : {}, ...(method === 'GET' ? {} : { body: b }) });
        const t = await res.text();
        // 501 is deliberate (OPA's query API is not served) and must be OPA-shaped like any 4xx
        if (res.status >= 500 && res.status !== 501) failures.push(`#${i}: ${method} ${path} → ${res.status} ${t.slice(0, 200)}`);
        else if (res.status >= 400) {
          let shaped = false;
          try {
            const j = JSON.parse(t) as { code?: unknown; message?: unknown };
            shaped = typeof j.code === 'string' && typeof j.message === 'string';
          } catch {
            shaped = false;
          }
          if (!shaped) failures.push(`#${i}: ${method} ${path} → ${res.status} not OPA-shaped: ${t.slice(0, 200)}`);
        }
      } catch (err) {
        failures.push(`#${i}: ${method} ${path}: request failed: ${String(err)}`);
      }
    }
    finish('HTTP API request bodies (OPA REST paths, methods, content types)', 'requests', n, failures, 'status < 500 (501 for the unserved query API); every 4xx/501 a JSON {code, message}; the server keeps answering');
  }, 300_000);
});
