/**
 * assembleInput builds the policy's input document (the contract in src/contract/input-v1.ts) from the evidence it is
 * given: here the demo store's real modules, collected and verified by the real stages. What the document holds,
 * how each statement stays bound to the module's digest, what is left out, the order, and the schema check.
 */
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectWasmLayer } from '../../../src/analyse/wasm/index.ts';
import { assembleInput, inputV1Schema, type AssembleParts, type VerifiedGroups } from '../../../src/assemble/index.ts';
import { createCollector, type Collector } from '../../../src/collect/collect.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { parseConfig } from '../../../src/config/load.ts';
import type { ErrorEntry, Evidence, EvidenceFormat, InputV1, ModuleV1, VulnerabilityScan } from '../../../src/contract/input-v1.ts';
import type { CollectedEvidence } from '../../../src/oci/types.ts';
import { loadTrustPolicy } from '../../../src/verify/trust/load.ts';
import { verifyEvidence } from '../../../src/verify/verify-evidence.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STORE = `${ROOT}demo/store`;
const NOW = new Date('2026-12-04T12:00:00.000Z');

/** RustSec's advisory for the crate the demo's `vulnerable` module embeds (demo/osv). */
const SCAN: VulnerabilityScan = {
  source: 'osv',
  database: { name: 'RustSec', built: '2026-08-21T00:00:00Z', records: 1 },
  matches: [{
    vulnerability: { id: 'RUSTSEC-2021-0003', aliases: ['CVE-2021-25900', 'GHSA-43w2-9j62-hq99'], severity: 'Critical', fixed_in: ['0.6.14', '1.6.1'], informational: null },
    artifact: { name: 'smallvec', version: '1.6.0', purl: 'pkg:cargo/smallvec@1.6.0' },
  }],
};

let collector: Collector;
const parts = new Map<string, AssembleParts>();

/** The demo module's evidence as the pipeline hands it to assembleInput. */
async function demoParts(tag: string): Promise<AssembleParts> {
  const trust = loadTrustPolicy(parseConfig(EMBEDDED_DEFAULT_CONFIG_YAML, { env: {} }).trust, { baseDir: ROOT });
  const collected = await collector.collect(`oci:${STORE}:${tag}`);
  const verified = await verifyEvidence(collected, trust);
  const wasm = await inspectWasmLayer(collector.storeFor(collected.module.repository), collected.module);
  return { collected, verified, wasm, scan: SCAN, now: NOW };
}

beforeAll(async () => {
  collector = createCollector();
  for (const tag of ['payments', 'spoofed', 'unsigned']) parts.set(tag, await demoParts(tag));
});
afterAll(async () => collector?.close());

const EVIDENCE_LISTS = ['signatures', 'sbom_attestations', 'provenance_attestations', 'other_attestations'] as const;
const allEvidence = (doc: InputV1 | VerifiedGroups): Evidence[] => EVIDENCE_LISTS.flatMap((k) => doc[k]);

/** The required keys of a contract type, checked exhaustively by the compiler. */
type RequiredKeys<T> = Extract<{ [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T], string>;
function requiredKeys<T>() {
  return <const L extends ReadonlyArray<RequiredKeys<T>>>(list: L & ([Exclude<RequiredKeys<T>, L[number]>] extends [never] ? unknown : never)): string[] => [...(list as ReadonlyArray<string>)].sort();
}

describe('the input schema and the contract', () => {
  it('require the same fields as the contract\'s types', () => {
    const input = requiredKeys<InputV1>()(['module', 'signatures', 'sbom_attestations', 'provenance_attestations', 'other_attestations', 'vulnerability_scan', 'request']);
    const module = requiredKeys<ModuleV1>()(['ref', 'repository', 'digest', 'layers', 'wasm']);
    const evidence = requiredKeys<Evidence>()(['verified', 'errors', 'format', 'manifest_digest', 'subject_matches', 'certificate', 'key', 'tlog']);
    expect([...inputV1Schema.required].sort()).toEqual(input);
    expect([...inputV1Schema.properties.module.required].sort()).toEqual(module);
    expect([...inputV1Schema.properties.signatures.items.required].sort()).toEqual(evidence);
    const formats: EvidenceFormat[] = ['cosign-legacy', 'sigstore-bundle'];
    expect([...inputV1Schema.properties.signatures.items.properties.format.enum]).toEqual(formats);
  });
});

describe('assembleInput on the demo modules\' real evidence', () => {
  it('builds a document the schema accepts, checked here by a validator of its own', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
    const validate = ajv.compile(inputV1Schema);
    for (const [tag, p] of parts) {
      const doc = assembleInput(p);
      expect(validate(doc), `${tag}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('describes the module from what was collected: ref, repository, digest, media types, layers, wasm facts', () => {
    const p = parts.get('payments')!;
    const m = p.collected.module;
    const doc = assembleInput(p);
    expect(doc.module).toEqual({
      ref: `oci:${STORE}:payments`,
      repository: m.repository,
      digest: m.digest,
      media_type: m.mediaType,
      ...(m.artifactType === undefined ? {} : { artifact_type: m.artifactType }),
      layers: m.layers.map((l) => ({ digest: l.digest, media_type: l.mediaType, size: l.size })),
      wasm: p.wasm,
    });
    expect(doc.module.wasm).toMatchObject({ digest: m.wasmLayer!.digest, kind: expect.stringMatching(/^(module|component)$/) });
    expect(doc.vulnerability_scan).toBe(SCAN);
  });

  it('binds each statement to the module\'s digest: payments\' statements name it, the same statements re-attached to spoofed do not', () => {
    const payments = assembleInput(parts.get('payments')!);
    const spoofed = assembleInput(parts.get('spoofed')!);
    expect(spoofed.module.digest).not.toBe(payments.module.digest);
    for (const list of ['sbom_attestations', 'provenance_attestations'] as const) {
      expect(payments[list].length).toBeGreaterThan(0);
      for (const e of payments[list]) expect(e).toMatchObject({ verified: true, subject_matches: true, errors: [] });
      expect(spoofed[list].length).toBeGreaterThan(0);
      for (const e of spoofed[list]) {
        expect(e).toMatchObject({ verified: false, subject_matches: false });
        expect(e.errors.map((x) => x.code)).toContain('subject_mismatch');
      }
    }
    // the re-attached statements are byte for byte payments' own: the same predicates, signed by the same identity
    expect(spoofed.sbom_attestations.map((e) => e.certificate?.subject)).toEqual(payments.sbom_attestations.map((e) => e.certificate?.subject));
  });

  it('passes each piece of evidence through as verified, grouped as the verifier grouped it', () => {
    const p = parts.get('payments')!;
    const doc = assembleInput(p);
    for (const k of EVIDENCE_LISTS) expect([...doc[k]].sort(byDigest)).toEqual([...p.verified[k]].sort(byDigest));
  });

  it('leaves out what the policy must not see: raw evidence bytes, annotations, collector warnings, an empty errors list', () => {
    for (const [tag, p] of parts) {
      const doc = assembleInput(p);
      expect(Object.keys(doc).sort(), tag).toEqual(['module', 'other_attestations', 'provenance_attestations', 'request', 'sbom_attestations', 'signatures', 'vulnerability_scan']);
      const text = JSON.stringify(doc);
      for (const raw of p.collected.evidence) {
        expect(text).not.toContain(Buffer.from(raw.payload).toString('base64').slice(0, 64));
        expect(text).not.toContain(raw.layer.digest);
      }
      expect(text).not.toMatch(/BEGIN CERTIFICATE|dsseEnvelope|verificationMaterial|"annotations"|"warnings"/);
      for (const l of doc.module.layers) expect(Object.keys(l).sort()).toEqual(['digest', 'media_type', 'size']);
    }
  });

  it('adds errors only when there are some', () => {
    const errors = [{ code: 'vulnerability_db_unavailable', message: 'no vulnerability database is configured' }];
    expect(assembleInput({ ...parts.get('payments')!, errors: [] })).not.toHaveProperty('errors');
    expect(assembleInput({ ...parts.get('payments')!, errors }).errors).toEqual(errors);
  });

  it('stamps the request with the decision time, over any time the caller sent, and keeps the caller\'s context', () => {
    const doc = assembleInput({ ...parts.get('payments')!, request: { time: '1999-01-01T00:00:00Z', runtime: 'spin', labels: { zone: 'a' } } });
    expect(doc.request).toEqual({ time: NOW.toISOString(), runtime: 'spin', labels: { zone: 'a' } });
    expect(assembleInput({ ...parts.get('payments')!, now: undefined }).request.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('accepts a module whose binary could not be inspected (wasm null)', () => {
    expect(assembleInput({ ...parts.get('unsigned')!, wasm: null }).module.wasm).toBeNull();
  });
});

const byDigest = (a: Evidence, b: Evidence): number => (a.manifest_digest < b.manifest_digest ? -1 : a.manifest_digest > b.manifest_digest ? 1 : Number(a.verified) - Number(b.verified));

describe('evidence order', () => {
  const hex = fc.stringMatching(/^[a-f0-9]{64}$/);
  const evidence: fc.Arbitrary<Evidence> = fc.record({
    verified: fc.boolean(),
    errors: fc.constant<ErrorEntry[]>([]),
    format: fc.constantFrom<EvidenceFormat>('cosign-legacy', 'sigstore-bundle'),
    manifest_digest: hex.map((h) => `sha256:${h}`),
    subject_matches: fc.boolean(),
    certificate: fc.constant(null),
    key: fc.constant(null),
    tlog: fc.constant(null),
  });

  it('is verified first, then by manifest digest, whatever order the verifier gave, losing nothing (property, fixed seed)', () => {
    const base = parts.get('unsigned')!;
    const listAndShuffle = fc.array(evidence, { maxLength: 8 }).chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })));
    fc.assert(fc.property(listAndShuffle, ([list, shuffled]) => {
      const groups: VerifiedGroups = { signatures: shuffled, sbom_attestations: [...list], provenance_attestations: [], other_attestations: [] };
      const doc = assembleInput({ ...base, verified: groups });
      expect(doc.signatures).toEqual(doc.sbom_attestations);
      expect([...doc.signatures].sort(byDigest)).toEqual([...list].sort(byDigest));
      const firstUnverified = doc.signatures.findIndex((e) => !e.verified);
      if (firstUnverified >= 0) expect(doc.signatures.slice(firstUnverified).every((e) => !e.verified)).toBe(true);
      for (let i = 1; i < doc.signatures.length; i++) {
        const [a, b] = [doc.signatures[i - 1]!, doc.signatures[i]!];
        if (a.verified === b.verified) expect(a.manifest_digest <= b.manifest_digest).toBe(true);
      }
    }), { seed: 1807, numRuns: 200 });
  });

  it('does not reorder the lists it was given', () => {
    const p = parts.get('payments')!;
    const before = allEvidence(p.verified).map((e) => e.manifest_digest);
    assembleInput(p);
    expect(allEvidence(p.verified).map((e) => e.manifest_digest)).toEqual(before);
  });
});

describe('when the parts would make a document outside the contract', () => {
  const invalid = (change: (p: AssembleParts) => AssembleParts, at: string) => () => {
    expect(() => assembleInput(change(parts.get('payments')!))).toThrow(expect.objectContaining({ code: 'INPUT_SCHEMA_INVALID', message: expect.stringContaining(`invalid at ${at}`) }));
  };
  const withModule = (p: AssembleParts, m: Partial<CollectedEvidence['module']>): AssembleParts => ({ ...p, collected: { ...p.collected, module: { ...p.collected.module, ...m } } });

  it('refuses a module digest that is not sha256 hex', invalid((p) => withModule(p, { digest: 'sha256:XYZ' }), '/module/digest'));
  it('refuses an empty ref', invalid((p) => withModule(p, { ref: '' }), '/module/ref'));
  it('refuses a layer of negative size', invalid((p) => withModule(p, { layers: [{ mediaType: 'application/wasm', digest: p.collected.module.digest, size: -1 }] }), '/module/layers/0/size'));
  it('refuses evidence carried by a manifest that is not a sha256 digest', invalid((p) => ({ ...p, verified: { ...p.verified, signatures: [{ ...p.verified.sbom_attestations[0]!, manifest_digest: 'md5:00' }] } }), '/signatures/0/manifest_digest'));
  it('refuses a severity outside the contract', invalid((p) => ({ ...p, scan: { ...SCAN, matches: [{ ...SCAN.matches[0]!, vulnerability: { ...SCAN.matches[0]!.vulnerability, severity: 'Severe' as 'High' } }] } }), '/vulnerability_scan/matches/0/vulnerability/severity'));
});
