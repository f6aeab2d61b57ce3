import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectWasm } from '../../../../src/analyse/wasm/index.ts';
import type { Evidence, InputV1, WasmFactsV1 } from '../../../../src/contract/input-v1.ts';
import { buildBundle } from '../../../../src/cli/commands/bundle-build.ts';
import { loadBundleFile, type WasmBundle } from '../../../../src/policy/engine/index.ts';
import { missingOutsideCi, requireTool } from '../../../support/tools.ts';
import { readComponentFixture } from '../../../support/wasm/fixtures.ts';

const policies = join(import.meta.dirname, '..', '..', '..', '..', 'policies');
const config = JSON.parse(readFileSync(join(policies, 'data.json'), 'utf8')) as { wasm: { sbom: { config: Record<string, unknown> } } };
const sbomIdentity = { subject: 'https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' };

function sbomAttestation(ringVersion: string): Evidence {
  return {
    verified: true, errors: [], format: 'sigstore-bundle', manifest_digest: 'sha256:aa', subject_matches: true,
    predicate_type: 'https://cyclonedx.org/bom', verified_for: ['sbom', 'signature'],
    certificate: { subject: sbomIdentity.subject, issuer: sbomIdentity.issuer, extensions: {} }, key: null, tlog: null,
    predicate: {
      bomFormat: 'CycloneDX', specVersion: '1.5',
      metadata: { component: { type: 'application', name: 'demo-app', version: '0.1.0' } },
      components: [
        { type: 'library', name: 'ring', version: ringVersion, purl: `pkg:cargo/ring@${ringVersion}` },
        { type: 'library', name: 'cc', version: '1.0.83', purl: 'pkg:cargo/cc@1.0.83' },
      ],
    },
  };
}

function inputFor(wasm: WasmFactsV1, ringVersion: string): InputV1 {
  return {
    module: { ref: 'reg.example/org/app@sha256:00', repository: 'reg.example/org/app', digest: 'sha256:00', layers: [], wasm },
    signatures: [], sbom_attestations: [sbomAttestation(ringVersion)], provenance_attestations: [], other_attestations: [],
    vulnerability_scan: { source: 'none', database: { name: 'none', built: '', records: 0 }, matches: [] },
    request: { time: '2026-01-01T00:00:00Z' },
  };
}

function denyOf(bundle: WasmBundle, input: InputV1): string[] {
  const r = bundle.evaluate('wasm/sbom/deny', input);
  expect(r.defined).toBe(true);
  return r.defined ? (r.result as string[]) : [];
}

// The compiled bundle through the wasm engine: the shipped data.json, and one with every inspection rule on.
describe.skipIf(missingOutsideCi('opa'))('inspection rules in the compiled bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-inspection-bundle-'));
  let shipped: WasmBundle;
  let strict: WasmBundle;
  const facts = inspectWasm(readComponentFixture());

  beforeAll(async () => {
    const opa = requireTool('opa');
    const shippedOut = join(dir, 'shipped.tar.gz');
    await buildBundle({ policiesDir: policies, out: shippedOut, opa, revision: 'test-shipped' });
    shipped = await loadBundleFile(shippedOut);

    // a copy of policies/ whose data.json forbids sockets and asks for rustc ≥ 1.80
    const strictDir = join(dir, 'policies');
    mkdirSync(strictDir);
    for (const f of readdirSync(policies)) if (f.endsWith('.rego') || f === 'capabilities.json') copyFileSync(join(policies, f), join(strictDir, f));
    const strictData = structuredClone(config);
    strictData.wasm.sbom.config.inspection = {
      embedded_deps_must_match_sbom: true, forbidden_imports: ['wasi:sockets/'], min_toolchain: { rustc: '1.80.0' },
    };
    writeFileSync(join(strictDir, 'data.json'), JSON.stringify(strictData));
    const strictOut = join(dir, 'strict.tar.gz');
    await buildBundle({ policiesDir: strictDir, out: strictOut, opa, revision: 'test-strict' });
    strict = await loadBundleFile(strictOut);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('denies a module that embeds ring 0.17.7 when its verified SBOM says 0.17.8, naming both versions', () => {
    const input = inputFor(facts, '0.17.8');
    expect(denyOf(shipped, input)).toContain('WASM module embeds ring 0.17.7, but its verified SBOM says ring 0.17.8.');
    const allow = shipped.evaluate('wasm/sbom/allow', input);
    expect(allow).toEqual({ defined: true, result: false });
  });

  it('raises no inspection denial when the embedded list agrees with the SBOM', () => {
    expect(denyOf(shipped, inputFor(facts, '0.17.7')).filter((m) => m.includes('embeds'))).toEqual([]);
  });

  it('leaves forbidden imports and toolchain minimums off in the shipped data', () => {
    expect(denyOf(shipped, inputFor(facts, '0.17.7')).filter((m) => m.includes('forbids') || m.includes('older than'))).toEqual([]);
  });

  it('denies forbidden imports and an old toolchain when the data turns them on', () => {
    const deny = denyOf(strict, inputFor(facts, '0.17.7'));
    expect(deny).toContain('WASM module imports wasi:sockets/tcp@0.2.0, a capability the operator forbids (wasi:sockets/).');
    expect(deny).toContain('WASM module was built with rustc 1.78.0, older than the configured minimum rustc 1.80.0.');
    expect(deny.filter((m) => m.includes('embeds'))).toEqual([]);
  });
});
