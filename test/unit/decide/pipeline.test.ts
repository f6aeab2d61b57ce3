/**
 * The decision pipeline (src/decide/pipeline.ts) with its real stages on the demo store (real keyless evidence, the
 * demo trust, the shipped RustSec export, the embedded bundle), and each stage made to fail in turn: every failure
 * ends in a deny naming the right reason, never an allow. Failures that stop a decision are thrown by the pipeline
 * and answered by the fail-closed deadline decorator, as the wiring composes them (withDeadline(pipeline)).
 */
import { RegistryError } from '../../../src/registry/error.ts';
import { EvaluationPoolError } from '../../../src/policy/pool/error.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOsvDatabase, type OsvDatabase } from '../../../src/analyse/vulns/database.ts';
import { createCollector, type Collector } from '../../../src/collect/collect.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { parseConfig } from '../../../src/config/load.ts';
import type { ErrorEntry } from '../../../src/contract/input-v1.ts';
import { withDeadline } from '../../../src/decide/deadline.ts';
import { createPipelineDecider, type PipelineDeps } from '../../../src/decide/pipeline.ts';
import type { Decider, Decision, DecisionRequest } from '../../../src/decide/types.ts';
import type { ArtifactStore } from '../../../src/oci/store.ts';
import type { CollectedEvidence } from '../../../src/oci/types.ts';
import { embeddedBundlePath, loadBundleFile } from '../../../src/policy/engine/engine.ts';
import type { EvaluationResult, LoadedBundle } from '../../../src/policy/engine/types.ts';
import { loadTrustPolicy } from '../../../src/verify/trust/load.ts';
import type { TrustPolicy } from '../../../src/verify/trust/policy.ts';
import { verifyEvidence } from '../../../src/verify/verify-evidence.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STORE = `${ROOT}demo/store`;

/** The demo store's own index: tag → manifest digest (the oracle for "the answer names the digest"). */
const TAGS: Record<string, string> = Object.fromEntries(
  (JSON.parse(readFileSync(`${STORE}/index.json`, 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> }).manifests
    .flatMap((m) => {
      const tag = m.annotations?.['org.opencontainers.image.ref.name'];
      return tag === undefined ? [] : [[tag, m.digest] as const];
    }),
);
const ref = (tag: string): string => `oci:${STORE}:${tag}`;
const pinned = (tag: string): string => `oci:${STORE}@${TAGS[tag]!}`;

/** Deny messages of the shipped policy (policies/wasm_sbom.rego). */
const MISSING_SBOM = 'WASM module missing a valid CycloneDX SBOM attestation from the build pipeline.';
const MISSING_PROVENANCE = 'WASM module missing a valid SLSA provenance attestation.';

let collector: Collector;
let trust: TrustPolicy;
let bundle: LoadedBundle;
let db: OsvDatabase;

beforeAll(async () => {
  const config = parseConfig(EMBEDDED_DEFAULT_CONFIG_YAML, { env: {} });
  trust = loadTrustPolicy(config.trust, { baseDir: ROOT });
  bundle = await loadBundleFile(embeddedBundlePath());
  db = await loadOsvDatabase(`${ROOT}demo/osv/rustsec-osv-all.zip`);
  collector = createCollector();
});
afterAll(async () => collector?.close());

/** The real pipeline on the demo data; `over` replaces one stage. */
function pipeline(over: Partial<PipelineDeps> = {}): Decider {
  return createPipelineDecider({
    collector,
    trust: () => trust,
    bundle: () => bundle,
    vulnerabilities: () => db,
    vulnerabilityProblem: () => null,
    defaultPath: 'wasm/sbom',
    ...over,
  });
}

/** As the wiring composes it: a thrown stage failure becomes a fail-closed deny (the budget is generous: no timing here). */
const failClosed = (over: Partial<PipelineDeps> = {}, deadlineMs = 60_000): Decider => withDeadline(pipeline(over), { deadlineMs });

/** A collector whose collect() is replaced, the rest real. */
function collectorWith(collect: Collector['collect'], storeFor: Collector['storeFor'] = (r) => collector.storeFor(r)): Collector {
  return { collect, storeFor, fetchBlob: (t, d, o) => collector.fetchBlob(t, d, o), close: async () => {} };
}

function expectFailClosed(d: Decision, reason: string, digest: string | null): void {
  expect(d.allow).toBe(false);
  expect(d.errors.map((e) => e.code)).toEqual([reason]);
  expect(d.deny).toEqual([expect.stringMatching(new RegExp(`^${reason}: `))]);
  expect(d.digest).toBe(digest);
  expect(d.result).toEqual({ allow: false, deny: d.deny });
}

describe('createPipelineDecider on the demo store', () => {
  it('allows payments by tag, naming the digest the tag resolved to and the bundle that decided', async () => {
    const d = await pipeline().decide({ ref: ref('payments'), request: { runtime: 'spin' } });
    expect(d).toMatchObject({ allow: true, deny: [], errors: [], digest: TAGS.payments, revision: bundle.revision, cached: false });
    expect(d.input?.module).toMatchObject({ ref: ref('payments'), digest: TAGS.payments });
    expect(d.input?.request).toMatchObject({ runtime: 'spin' });
    expect(d.result).toMatchObject({ allow: true, deny: [] });
    expect(Object.keys(d.metrics)).toEqual(expect.arrayContaining(['timer_wasmgate_collect_ns', 'timer_wasmgate_verify_ns', 'timer_wasmgate_inspect_ns', 'timer_wasmgate_scan_ns', 'timer_rego_query_eval_ns', 'timer_wasmgate_decide_ns']));
  });

  it('answers a digest ref as its tag: same verdict, same digest', async () => {
    const byTag = await pipeline().decide({ ref: ref('payments') });
    const byDigest = await pipeline().decide({ ref: pinned('payments') });
    expect(byDigest).toMatchObject({ allow: byTag.allow, deny: byTag.deny, digest: byTag.digest });
  });

  it('denies spoofed, naming its own digest: payments\' signed statements name another module', async () => {
    const d = await pipeline().decide({ ref: ref('spoofed') });
    expect(d.allow).toBe(false);
    expect(d.digest).toBe(TAGS.spoofed);
    expect(d.digest).not.toBe(TAGS.payments);
    expect(d.deny).toEqual(expect.arrayContaining([MISSING_SBOM, MISSING_PROVENANCE]));
    const statements = [...d.input!.sbom_attestations, ...d.input!.provenance_attestations];
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) expect(s).toMatchObject({ verified: false, subject_matches: false });
  });

  it('denies vulnerable on the RustSec advisory its SBOM and binary list', async () => {
    const d = await pipeline().decide({ ref: ref('vulnerable') });
    expect(d).toMatchObject({ allow: false, digest: TAGS.vulnerable, errors: [] });
    expect(d.deny).toEqual([expect.stringMatching(/critical vulnerabilities/)]);
    expect(d.input!.vulnerability_scan.matches.map((m) => m.vulnerability.id)).toContain('RUSTSEC-2021-0003');
  });

  it('denies unsigned: nothing attached', async () => {
    const d = await pipeline().decide({ ref: ref('unsigned') });
    expect(d).toMatchObject({ allow: false, digest: TAGS.unsigned, errors: [] });
    expect(d.deny).toEqual(expect.arrayContaining([MISSING_SBOM, MISSING_PROVENANCE]));
  });

  it('denies payments when its build identity is not the trusted one (verification finds no trusted signer)', async () => {
    const other = loadTrustPolicy(parseConfig(EMBEDDED_DEFAULT_CONFIG_YAML.replaceAll('myorg/payments-wasm', 'someone-else/payments-wasm'), { env: {} }).trust, { baseDir: ROOT });
    const d = await pipeline({ trust: () => other }).decide({ ref: ref('payments') });
    expect(d).toMatchObject({ allow: false, digest: TAGS.payments });
    expect(d.deny).toContain(MISSING_SBOM);
    expect(d.input!.sbom_attestations.every((e) => !e.verified && e.errors.length > 0)).toBe(true);
  });
});

describe('when a stage fails, the answer is a deny with the reason, never an allow', () => {
  it('resolve: an unknown tag is module_not_found, with no digest to name', async () => {
    expectFailClosed(await failClosed().decide({ ref: ref('nonexist') }), 'module_not_found', null);
  });

  it('collect: an unreachable registry is registry_unreachable, naming the digest the ref pins', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const down = collectorWith(() => Promise.reject(new RegistryError('REGISTRY_UNREACHABLE', 'connect ECONNREFUSED 127.0.0.1:5000')));
    expectFailClosed(await failClosed({ collector: down }).decide({ ref: `127.0.0.1:5000/org/app@${digest}` }), 'registry_unreachable', digest);
  });

  it('collect: a blob that does not match its digest is digest_mismatch', async () => {
    const lying = collectorWith((r, o) => collector.collect(r, o), (repository) => {
      const store = collector.storeFor(repository);
      return { ...store, fetchManifest: store.fetchManifest.bind(store), listReferrers: store.listReferrers.bind(store), listTags: store.listTags.bind(store), close: store.close.bind(store), fetchBlob: () => Promise.reject(new RegistryError('DIGEST_MISMATCH', 'the blob does not match its digest')) } satisfies ArtifactStore;
    });
    expectFailClosed(await failClosed({ collector: lying }).decide({ ref: pinned('payments') }), 'digest_mismatch', TAGS.payments!);
  });

  it('verify: a verifier that throws is internal_error', async () => {
    const d = await failClosed({ verify: () => Promise.reject(new Error('verifier crashed')) }).decide({ ref: ref('payments') });
    expectFailClosed(d, 'internal_error', null);
  });

  it('analyse: a wasm layer that is not wasm is an evidence error: deny wasm_inspection_failed', async () => {
    const garbage = collectorWith((r, o) => collector.collect(r, o), (repository) => {
      const store = collector.storeFor(repository);
      return { ...store, fetchManifest: store.fetchManifest.bind(store), listReferrers: store.listReferrers.bind(store), listTags: store.listTags.bind(store), close: store.close.bind(store), fetchBlob: async () => new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x09, 0x09, 0x09, 0x09]) } satisfies ArtifactStore;
    });
    const raw = await pipeline({ collector: garbage }).decide({ ref: ref('payments') });
    expect(raw.allow).toBe(false);
    expect(raw.errors.map((e) => e.code)).toEqual(['wasm_inspection_failed']);
    expect(raw.input!.module.wasm).toBeNull();
    expect(raw.input!.errors).toEqual(raw.errors);
    const d = await failClosed({ collector: garbage }).decide({ ref: ref('payments') });
    expect(d.allow).toBe(false);
    expect(d.deny).toEqual(expect.arrayContaining([expect.stringMatching(/could not assemble complete evidence \(wasm_inspection_failed\)/)]));
  });

  it('analyse: a module without a wasm layer cannot be inspected: deny wasm_inspection_failed', async () => {
    const noWasm = collectorWith(async (r, o) => {
      const c = await collector.collect(r, o);
      return { ...c, module: { ...c.module, wasmLayer: undefined } } as CollectedEvidence;
    });
    const d = await failClosed({ collector: noWasm }).decide({ ref: ref('payments') });
    expect(d.allow).toBe(false);
    expect(d.errors).toEqual([{ code: 'wasm_inspection_failed', message: expect.stringMatching(/has no wasm layer/) }]);
  });

  it('analyse: a verified SBOM that cannot be read is invalid_evidence', async () => {
    const unreadable: PipelineDeps['verify'] = async (c, t, o) => {
      const v = await verifyEvidence(c, t, o);
      return { ...v, sbom_attestations: v.sbom_attestations.map((e) => (e.verified ? { ...e, predicate: { not: 'an sbom' } } : e)) };
    };
    const d = await failClosed({ verify: unreadable }).decide({ ref: ref('payments') });
    expect(d.allow).toBe(false);
    expect(d.errors).toEqual([{ code: 'invalid_evidence', message: expect.stringMatching(/the verified SBOM in sha256:[a-f0-9]{64} could not be read/) }]);
  });

  it('analyse: no vulnerability database is vulnerability_db_unavailable', async () => {
    const d = await failClosed({ vulnerabilities: () => null, vulnerabilityProblem: undefined }).decide({ ref: ref('payments') });
    expect(d.allow).toBe(false);
    expect(d.errors).toEqual([{ code: 'vulnerability_db_unavailable', message: 'no vulnerability database is configured' }]);
  });

  it('analyse: a database problem the holder reports (stale data) is an evidence error', async () => {
    const stale: ErrorEntry = { code: 'vulnerability_db_stale', message: 'the data is 9 days old (max_age 7d)' };
    const d = await failClosed({ vulnerabilityProblem: () => stale }).decide({ ref: ref('payments') });
    expect(d.allow).toBe(false);
    expect(d.errors).toEqual([stale]);
    expect(d.deny).toEqual(expect.arrayContaining([expect.stringMatching(/could not assemble complete evidence \(vulnerability_db_stale\): the data is 9 days old/)]));
  });

  it('assemble: a document that breaks the input schema is invalid_evidence', async () => {
    const broken = collectorWith(async (r, o) => {
      const c = await collector.collect(r, o);
      return { ...c, module: { ...c.module, digest: 'sha256:not-hex' } };
    });
    const d = await failClosed({ collector: broken, inspectWasm: false }).decide({ ref: ref('payments') });
    expectFailClosed(d, 'invalid_evidence', null);
    expect(d.deny[0]).toMatch(/assembled input document is invalid at \/module\/digest/);
  });

  it('evaluate: no active bundle is no_trusted_policy, naming why', async () => {
    const d = await failClosed({ bundle: () => null, bundleProblems: () => 'bundle "policy": download failed: 503' }).decide({ ref: pinned('payments') });
    expectFailClosed(d, 'no_trusted_policy', TAGS.payments!);
    expect(d.deny[0]).toContain('download failed: 503');
  });

  it('evaluate: a path the bundle does not define is no_trusted_policy', async () => {
    const d = await failClosed().decide({ ref: ref('payments'), path: 'wasm/sbom/nonexistent' });
    expectFailClosed(d, 'no_trusted_policy', null);
  });

  it('evaluate: an evaluator that fails (the worker pool) fails closed', async () => {
    const d = await failClosed({ evaluate: () => Promise.reject(new EvaluationPoolError('EVALUATION_OVERLOADED', 'the evaluation queue is full')) }).decide({ ref: pinned('payments') });
    expectFailClosed(d, 'overloaded', TAGS.payments!);
  });

  it('never allows with evidence errors, even when the policy says allow', async () => {
    const lenient = async (): Promise<EvaluationResult> => ({ defined: true, result: { allow: true, deny: [] } });
    const problem: ErrorEntry = { code: 'vulnerability_db_unavailable', message: 'x' };
    const raw = await pipeline({ evaluate: lenient, vulnerabilityProblem: () => problem }).decide({ ref: ref('payments') });
    expect(raw.allow).toBe(false);
    expect(raw.errors).toEqual([problem]);
    // and the same policy without the problem allows: the errors alone made the difference
    expect((await pipeline({ evaluate: lenient }).decide({ ref: ref('payments') })).allow).toBe(true);
  });
});

describe('reading the verdict from the policy path', () => {
  const answering = (result: unknown): Partial<PipelineDeps> => ({ evaluate: async () => ({ defined: true, result }) });

  it('a rule path answers its boolean', async () => {
    expect(await pipeline().decide({ ref: ref('payments'), path: 'wasm/sbom/allow' })).toMatchObject({ allow: true, result: true, digest: TAGS.payments });
    expect(await pipeline().decide({ ref: ref('spoofed'), path: '/wasm/sbom/allow/' })).toMatchObject({ allow: false, result: false, digest: TAGS.spoofed });
  });

  it('a deny path never allows; its reasons are sorted', async () => {
    expect(await pipeline(answering([])).decide({ ref: ref('payments'), path: 'wasm/sbom/deny' })).toMatchObject({ allow: false, deny: [] });
    expect(await pipeline(answering(['b', 'a'])).decide({ ref: ref('payments'), path: 'wasm/sbom/deny' })).toMatchObject({ allow: false, deny: ['a', 'b'] });
  });

  it('a document allows only with allow: true and no deny reason', async () => {
    const decide = async (result: unknown): Promise<boolean> => (await pipeline(answering(result)).decide({ ref: ref('payments') })).allow;
    expect(await decide({ allow: true, deny: [] })).toBe(true);
    expect(await decide({ allow: true, deny: ['x'] })).toBe(false);
    expect(await decide({ allow: 'true' })).toBe(false);
    expect(await decide({ deny: [] })).toBe(false);
    expect(await decide(true)).toBe(false);
    expect(await decide(null)).toBe(false);
  });
});

describe('deadline and cancellation', () => {
  /** A collector that never answers until released; records what it was asked with. */
  function hanging(): { collector: Collector; asked: Array<{ ref: string; deadlineMs?: number; signal?: AbortSignal }>; release(): void } {
    const asked: Array<{ ref: string; deadlineMs?: number; signal?: AbortSignal }> = [];
    let release = (): void => {};
    const gate = new Promise<never>((_, reject) => (release = () => reject(new RegistryError('ABORTED', 'released'))));
    gate.catch(() => {});
    return {
      collector: collectorWith((r, o) => {
        asked.push({ ref: r, ...(o?.deadlineMs !== undefined ? { deadlineMs: o.deadlineMs } : {}), ...(o?.signal ? { signal: o.signal } : {}) });
        return gate;
      }),
      asked,
      release: () => release(),
    };
  }

  it('answers timeout at the deadline, naming the digest a pinned ref names (none for a tag)', async () => {
    const h = hanging();
    try {
      const decider = withDeadline(pipeline({ collector: h.collector }), { deadlineMs: 50 });
      expectFailClosed(await decider.decide({ ref: pinned('payments') }), 'timeout', TAGS.payments!);
      expectFailClosed(await decider.decide({ ref: ref('payments') }), 'timeout', null);
      expectFailClosed(await decider.decide({ ref: ref('payments'), deadlineMs: 20 }), 'timeout', null);
    } finally {
      h.release();
    }
  });

  it('hands the request\'s budget and the caller\'s signal to the collector', async () => {
    const h = hanging();
    const controller = new AbortController();
    const pending = pipeline({ collector: h.collector }).decide({ ref: ref('payments'), deadlineMs: 250 }, controller.signal);
    await expect.poll(() => h.asked.length).toBe(1);
    expect(h.asked[0]).toEqual({ ref: ref('payments'), deadlineMs: 250, signal: controller.signal });
    h.release();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('decides the whole request on the bundle active when it started', async () => {
    let calls = 0;
    const d = await pipeline({ bundle: () => (++calls === 1 ? bundle : null) }).decide({ ref: ref('payments') } satisfies DecisionRequest);
    expect(calls).toBe(1);
    expect(d).toMatchObject({ allow: true, revision: bundle.revision });
  });
});
