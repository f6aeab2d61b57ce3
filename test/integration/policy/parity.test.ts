/**
 * Differential test: the shipped policy evaluated by the reference `opa eval`
 * (rego target, policies/ as a bundle) and by wasmgate's engine (the same
 * sources compiled to wasm by `wasmgate bundle build`) must agree on every input.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../../src/cli/commands/bundle-build.ts';
import { loadBundleFile, type WasmBundle } from '../../../src/policy/engine/index.ts';
import { BUILD_SUBJECT, GHA_ISSUER, SLSA_SUBJECT, realisticInput } from '../../../bench/engine-input.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { REPO, execFileAsync, tempDir } from './support.ts';

const goodSbom = { verified: true, verified_for: ['sbom', 'signature'], certificate: { subject: BUILD_SUBJECT, issuer: GHA_ISSUER }, predicate: { bomFormat: 'CycloneDX', components: [{ name: 'ring', version: '0.17.8' }] } };
const goodProv = { verified: true, verified_for: ['provenance'], certificate: { subject: SLSA_SUBJECT, issuer: GHA_ISSUER }, predicate: {} };
const crit = { vulnerability: { id: 'RUSTSEC-2023-0071', severity: 'Critical' }, artifact: { name: 'rsa', version: '0.9.6' } };

/** Hand-written edge cases. */
function edgeCases(): unknown[] {
  const base = { sbom_attestations: [goodSbom], provenance_attestations: [goodProv], vulnerability_scan: { matches: [] } };
  const lookalikes = [
    'https://github.com/myorg/payments-wasm-evil/.github/workflows/build-wasm.yml@refs/heads/main',
    'https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main-evil',
    'https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main ',
    'https://github.com/MyOrg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main',
    'https://github.com/myorg/payments-wasm/.github/workflows/evil.yml@refs/heads/main',
  ];
  return [
    {},
    { sbom_attestations: [], provenance_attestations: [], vulnerability_scan: { matches: [] } },
    base,
    { ...base, vulnerability_scan: {} },
    { ...base, vulnerability_scan: null },
    { sbom_attestations: [goodSbom], provenance_attestations: [goodProv] },
    { ...base, sbom_attestations: [{ ...goodSbom, verified: false }] },
    { ...base, sbom_attestations: [{ ...goodSbom, verified: 'true' }] },
    { ...base, provenance_attestations: [{ ...goodProv, verified: false }] },
    { ...base, sbom_attestations: [{ ...goodSbom, certificate: { subject: BUILD_SUBJECT, issuer: 'https://accounts.google.com' } }] },
    { ...base, provenance_attestations: [{ ...goodProv, certificate: { subject: SLSA_SUBJECT, issuer: 'https://token.actions.githubusercontent.com.evil' } }] },
    ...lookalikes.map((s) => ({ ...base, sbom_attestations: [{ ...goodSbom, certificate: { subject: s, issuer: GHA_ISSUER } }] })),
    { ...base, provenance_attestations: [{ ...goodProv, certificate: { subject: 'https://github.com/slsa-framework/slsa-github-generator-evil/x@refs/tags/v2.0.0', issuer: GHA_ISSUER } }] },
    { ...base, provenance_attestations: [{ ...goodProv, certificate: { subject: 42, issuer: GHA_ISSUER } }] },
    { ...base, sbom_attestations: [{ ...goodSbom, certificate: null }] },
    { ...base, sbom_attestations: [{ ...goodSbom, verified_for: ['provenance'] }] },
    { ...base, sbom_attestations: [{ ...goodSbom, verified_for: 'sbom' }] },
    { ...base, sbom_attestations: [{ ...goodSbom, verified_for: null }] },
    { ...base, provenance_attestations: [{ ...goodProv, verified_for: [] }] },
    { ...base, provenance_attestations: [{ ...goodProv, verified_for: ['sbom', 'signature', 'provenance'] }] },
    { ...base, sbom_attestations: [{ ...goodSbom, predicate: { bomFormat: 'SPDX' } }] },
    { ...base, sbom_attestations: [{ verified: false }, { ...goodSbom }] },
    { ...base, vulnerability_scan: { matches: [crit] } },
    { ...base, vulnerability_scan: { matches: Array.from({ length: 250 }, () => crit) } },
    { ...base, vulnerability_scan: { matches: [{ vulnerability: { severity: 'critical' } }, { vulnerability: {} }, {}] } },
    { ...base, errors: [] },
    { ...base, errors: [{ code: 'registry_unreachable', message: 'GET https://registry.example/v2/ timed out after 5s' }] },
    { ...base, errors: [{ code: 1, message: { nested: true } }, { code: 'ß', message: '😀 %s %d' }, {}] },
    { ...base, errors: { not: 'an array' } },
    { ...base, module: { wasm: { embedded_dependencies: [{ name: 'ring', version: '0.17.7', source: 'crates.io' }], imports: [], producers: null } } },
    { ...base, module: { wasm: { embedded_dependencies: [{ name: 'zzz', version: '1.0.0', source: 'crates.io' }], imports: ['wasi:sockets/tcp'] } } },
    realisticInput(),
    realisticInput({ critical: 2 }),
    realisticInput({ components: 5 }),
  ];
}

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const subject = fc.oneof(
  fc.constantFrom(BUILD_SUBJECT, SLSA_SUBJECT, `${BUILD_SUBJECT}x`, 'https://github.com/slsa-framework/slsa-github-generator', 'https://github.com/slsa-framework/slsa-github-generator/', ''),
  text,
);
const issuer = fc.oneof(fc.constantFrom(GHA_ISSUER, `${GHA_ISSUER}/`, 'https://accounts.google.com'), text);
const component = fc.record({ name: fc.constantFrom('ring', 'rustls', 'serde', 'zzz'), version: fc.constantFrom('0.17.8', '0.17.7', '1.0.0') });
const evidence = fc.record(
  {
    verified: fc.oneof(fc.boolean(), fc.constantFrom('true', 1, null)),
    certificate: fc.oneof(fc.constant(null), fc.record({ subject, issuer }, { requiredKeys: [] })),
    predicate: fc.oneof(
      fc.constant(null),
      fc.record({ bomFormat: fc.constantFrom('CycloneDX', 'cyclonedx', 'SPDX'), components: fc.array(component, { maxLength: 4 }) }, { requiredKeys: [] }),
    ),
  },
  { requiredKeys: [] },
);
const match = fc.record(
  { vulnerability: fc.record({ id: text, severity: fc.constantFrom('Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown', 'critical') }, { requiredKeys: [] }) },
  { requiredKeys: [] },
);
const errorEntry = fc.record({ code: fc.oneof(text, fc.integer()), message: fc.oneof(text, fc.constant(null)) }, { requiredKeys: [] });
const inputArb = fc.record(
  {
    sbom_attestations: fc.array(fc.oneof(fc.constant(goodSbom), evidence), { maxLength: 3 }),
    provenance_attestations: fc.array(fc.oneof(fc.constant(goodProv), evidence), { maxLength: 3 }),
    vulnerability_scan: fc.record({ matches: fc.array(match, { maxLength: 8 }) }, { requiredKeys: [] }),
    errors: fc.array(errorEntry, { maxLength: 3 }),
    module: fc.record({
      wasm: fc.record({
        embedded_dependencies: fc.array(fc.record({ name: component.map((c) => c.name), version: component.map((c) => c.version), source: fc.constantFrom('crates.io', 'git') }), { maxLength: 3 }),
        imports: fc.array(fc.constantFrom('wasi:http/incoming-handler', 'wasi:sockets/tcp', 'env.abort'), { maxLength: 2 }),
      }, { requiredKeys: [] }),
    }, { requiredKeys: [] }),
  },
  { requiredKeys: ['sbom_attestations', 'provenance_attestations'] },
);

interface OpaAnswer { allow: boolean; deny: string[]; doc: unknown }

describe.skipIf(missingOutsideCi('opa'))('engine parity with opa eval', () => {
  let bundle: WasmBundle;
  let inputs: unknown[];
  let reference: OpaAnswer[];

  beforeAll(async () => {
    const opa = requireTool('opa');
    const dir = await tempDir('parity');
    const built = await buildBundle({ out: join(dir, 'bundle.tar.gz'), opa });
    bundle = await loadBundleFile(built.out);
    inputs = [...edgeCases(), ...fc.sample(inputArb, { numRuns: 220, seed: 20260125 })];
    // One opa process for all inputs: the inputs are the input document (an array) and the
    // query evaluates the policy once per element with `with input as`.
    await writeFile(join(dir, 'inputs.json'), JSON.stringify(inputs));
    const query = '[{"allow": a, "deny": d, "doc": doc} | some inp in input; a := data.wasm.sbom.allow with input as inp; d := data.wasm.sbom.deny with input as inp; doc := data.wasm.sbom with input as inp]';
    const { stdout } = await execFileAsync(opa, ['eval', '-b', join(REPO, 'policies'), '-i', join(dir, 'inputs.json'), '--format', 'json', query], { maxBuffer: 256 * 1024 * 1024 });
    const out = JSON.parse(stdout) as { result: Array<{ expressions: Array<{ value: OpaAnswer[] }> }> };
    reference = out.result[0]?.expressions[0]?.value ?? [];
  });

  it('evaluates at least 200 inputs, some allowed and some denied', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(200);
    expect(reference).toHaveLength(inputs.length);
    expect(reference.filter((r) => r.allow).length).toBeGreaterThan(5);
    expect(reference.filter((r) => !r.allow).length).toBeGreaterThan(5);
  });

  it('agrees on allow and on the (sorted) deny set for every input', () => {
    const mismatches: Array<{ i: number; input: unknown; opa: unknown; engine: unknown }> = [];
    inputs.forEach((input, i) => {
      const ref = reference[i] as OpaAnswer;
      const allow = bundle.evaluate('wasm/sbom/allow', input);
      const deny = bundle.evaluate('wasm/sbom/deny', input);
      // the one-parse path must agree with the per-path one
      expect(bundle.evaluateMany(['wasm/sbom/allow', 'wasm/sbom/deny'], input)).toEqual([allow, deny]);
      const engine = { allow: allow.defined ? allow.result : undefined, deny: deny.defined ? deny.result : undefined };
      const expected = { allow: ref.allow, deny: [...ref.deny].sort() };
      if (JSON.stringify({ ...engine, deny: [...((engine.deny as string[]) ?? [])].sort() }) !== JSON.stringify(expected)) mismatches.push({ i, input, opa: ref, engine });
    });
    expect(mismatches).toEqual([]);
  });

  it('returns deny already in OPA order and the same package document', () => {
    inputs.forEach((input, i) => {
      const ref = reference[i] as OpaAnswer;
      expect(bundle.evaluate('wasm/sbom/deny', input)).toEqual({ defined: true, result: ref.deny });
      expect(bundle.evaluate('wasm/sbom', input)).toEqual({ defined: true, result: ref.doc });
    });
  });

  it('accepts the input as JSON text with the same answers', () => {
    const input = inputs[inputs.length - 1];
    expect(bundle.evaluateJson('wasm/sbom', JSON.stringify(input))).toEqual(bundle.evaluate('wasm/sbom', input));
    expect(bundle.evaluateJson('wasm/sbom', Buffer.from(JSON.stringify(input)))).toEqual(bundle.evaluate('wasm/sbom', input));
  });
});
