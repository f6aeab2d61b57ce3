/**
 * A realistic policy input (InputV1) for the engine benchmark and the parity test:
 * a CycloneDX 1.5 SBOM of the first 80 packages of a real Cargo.lock (spin's
 * examples/http-rust, test/fixtures/policy), shaped like cargo-sbom's output,
 * carried by a verified SBOM attestation, plus SLSA provenance and a scan result.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { Evidence, InputV1, VulnerabilityMatch } from '../src/contract/input-v1.ts';

const LOCK = join(import.meta.dirname, '..', 'test', 'fixtures', 'policy', 'spin-http-rust.Cargo.lock');

export const BUILD_SUBJECT = 'https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main';
export const SLSA_SUBJECT = 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0';
export const GHA_ISSUER = 'https://token.actions.githubusercontent.com';

interface LockPackage { name: string; version: string; source?: string; checksum?: string; dependencies?: string[] }

export function lockPackages(count = 80): LockPackage[] {
  const lock = parseToml(readFileSync(LOCK, 'utf8')) as unknown as { package: LockPackage[] };
  return lock.package.slice(0, count);
}

/** A CycloneDX 1.5 document for the packages, in cargo-sbom's shape. */
export function cycloneDx(pkgs: readonly LockPackage[]): Record<string, unknown> {
  const ref = (p: LockPackage): string => `${p.name} ${p.version} (registry+https://github.com/rust-lang/crates.io-index)`;
  const components = pkgs.map((p) => ({
    type: 'library',
    'bom-ref': ref(p),
    name: p.name,
    version: p.version,
    description: `The ${p.name} crate, version ${p.version}, as resolved by Cargo for the wasm32-wasip2 release build of the payments module.`,
    scope: 'required',
    purl: `pkg:cargo/${p.name}@${p.version}`,
    licenses: [{ expression: 'MIT OR Apache-2.0' }],
    hashes: p.checksum ? [{ alg: 'SHA-256', content: p.checksum }] : [],
    externalReferences: [
      { type: 'distribution', url: `https://crates.io/api/v1/crates/${p.name}/${p.version}/download` },
      { type: 'documentation', url: `https://docs.rs/${p.name}/${p.version}` },
      { type: 'vcs', url: `https://github.com/rust-lang/crates.io-index/blob/master/${p.name}` },
      { type: 'website', url: `https://crates.io/crates/${p.name}` },
    ],
    properties: [
      { name: 'cdx:cargo:source', value: p.source ?? 'path' },
      { name: 'cdx:cargo:checksum', value: p.checksum ?? '' },
      { name: 'cdx:cargo:target', value: 'wasm32-wasip2' },
      { name: 'cdx:cargo:profile', value: 'release' },
    ],
  }));
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
    version: 1,
    metadata: {
      timestamp: '2026-01-15T10:00:00Z',
      tools: [{ vendor: 'psastras', name: 'cargo-sbom', version: '0.9.1' }],
      component: { type: 'application', 'bom-ref': 'payments 1.2.3', name: 'payments', version: '1.2.3', purl: 'pkg:cargo/payments@1.2.3' },
    },
    components,
    dependencies: pkgs.map((p) => ({
      ref: ref(p),
      dependsOn: (p.dependencies ?? []).map((d) => d.split(' ')[0] as string).filter((d) => byName.has(d)).map((d) => ref(byName.get(d) as LockPackage)),
    })),
  };
}

function evidence(subject: string, predicateType: string, predicate: unknown): Evidence {
  return {
    verified: true,
    // the roles the demo trust gives each identity (trust.keyless[].roles)
    verified_for: subject === BUILD_SUBJECT ? ['sbom', 'signature'] : ['provenance'],
    errors: [],
    format: 'sigstore-bundle',
    manifest_digest: 'sha256:5b1f1e8fbd3c1e03bbd6cbb9f9d5a7b4c1b6f8ad0a3c9e1f7d2b4a6c8e0f1a2b',
    predicate_type: predicateType,
    subject_matches: true,
    certificate: {
      subject,
      issuer: GHA_ISSUER,
      extensions: { source_repository_uri: 'https://github.com/myorg/payments-wasm', build_signer_uri: subject },
    },
    key: null,
    tlog: { log_index: 123456789, integrated_time: '2026-01-15T10:01:00Z' },
    predicate,
  };
}

/** The realistic input: allowed by the shipped policy unless `critical` > 0. */
export function realisticInput(options: { components?: number; critical?: number } = {}): InputV1 {
  const pkgs = lockPackages(options.components ?? 80);
  const matches: VulnerabilityMatch[] = pkgs.slice(0, 6).map((p, i) => ({
    vulnerability: {
      id: `RUSTSEC-2024-00${10 + i}`,
      aliases: [`CVE-2024-${3000 + i}`],
      severity: i < (options.critical ?? 0) ? 'Critical' : i % 2 === 0 ? 'Medium' : 'Low',
      fixed_in: [`${p.version}-fixed`],
      informational: null,
    },
    artifact: { name: p.name, version: p.version, purl: `pkg:cargo/${p.name}@${p.version}` },
  }));
  return {
    module: {
      ref: 'registry.example/myorg/wasm/payments:1.2.3',
      repository: 'registry.example/myorg/wasm/payments',
      digest: 'sha256:5b1f1e8fbd3c1e03bbd6cbb9f9d5a7b4c1b6f8ad0a3c9e1f7d2b4a6c8e0f1a2b',
      layers: [{ digest: 'sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0', media_type: 'application/wasm', size: 2_345_678 }],
      wasm: null,
    },
    signatures: [evidence(BUILD_SUBJECT, 'https://sigstore.dev/cosign/sign/v1', undefined)],
    // cargo-sbom's SBOM (all components) and, as the seed's Step 3 suggests, syft's second opinion
    sbom_attestations: [
      evidence(BUILD_SUBJECT, 'https://cyclonedx.org/bom', cycloneDx(pkgs)),
      evidence(BUILD_SUBJECT, 'https://cyclonedx.org/bom', cycloneDx(pkgs.slice(0, Math.ceil(pkgs.length / 2)))),
    ],
    provenance_attestations: [evidence(SLSA_SUBJECT, 'https://slsa.dev/provenance/v1', {
      buildDefinition: { buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1', externalParameters: { workflow: { ref: 'refs/tags/v1.2.3', repository: 'https://github.com/myorg/payments-wasm', path: '.github/workflows/build-wasm.yml' } }, resolvedDependencies: [{ uri: 'git+https://github.com/myorg/payments-wasm@refs/tags/v1.2.3', digest: { gitCommit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' } }] },
      runDetails: { builder: { id: SLSA_SUBJECT }, metadata: { invocationId: 'https://github.com/myorg/payments-wasm/actions/runs/1/attempts/1' } },
    })],
    // the Cargo.lock attested as build record (the seed's Step 2)
    other_attestations: [evidence(BUILD_SUBJECT, 'https://systemshardening.com/predicates/cargo-lock/v1', { 'Cargo.lock': readFileSync(LOCK, 'utf8') })],
    vulnerability_scan: { source: 'osv', database: { name: 'rustsec', built: '2026-01-15T00:00:00Z', records: 812 }, matches },
    request: { time: '2026-01-15T10:05:00Z', runtime: 'spin' },
  };
}
