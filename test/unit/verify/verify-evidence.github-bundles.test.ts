import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CollectedEvidence, ModuleTarget, RawEvidence } from '../../../src/oci/types.ts';
import { loadTrustPolicy, verifyEvidence, type VerifiedEvidence } from '../../../src/verify/index.ts';
import { createMockSigstore } from '../../support/verify/mock-sigstore.ts';

/**
 * Real Sigstore bundles produced on GitHub Actions (public-good Fulcio + Rekor, 2023), from slsa-verifier's
 * testdata (see test/fixtures/verify/github/SOURCES.md), verified OFFLINE against the shipped public-good
 * trusted root. They are wrapped as if they were OCI referrers of a module whose digest is the statement's
 * subject digest.
 */
const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'verify', 'github');
const GH = 'https://token.actions.githubusercontent.com';
const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

function moduleFor(digest: string, asLayer = false): ModuleTarget {
  const wasm = { mediaType: 'application/wasm', digest: asLayer ? digest : `sha256:${'1'.repeat(64)}`, size: 1 };
  return { ref: '127.0.0.1:5000/gh/app:1', repository: '127.0.0.1:5000/gh/app', digest: asLayer ? `sha256:${'2'.repeat(64)}` : digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [wasm], wasmLayer: wasm };
}

function asReferrer(bundleJson: unknown, attachedTo: string): RawEvidence {
  const payload = Buffer.from(JSON.stringify(bundleJson));
  return { kind: 'sigstore-bundle', manifestDigest: `sha256:${'3'.repeat(64)}`, attachedTo, discoveredVia: 'referrers-api', artifactType: BUNDLE_V01, layer: { mediaType: BUNDLE_V01, digest: `sha256:${'4'.repeat(64)}`, size: payload.length }, payload };
}

async function verify(bundleJson: unknown, module: ModuleTarget, keyless: unknown[]): Promise<VerifiedEvidence> {
  const collected: CollectedEvidence = { module, evidence: [asReferrer(bundleJson, module.digest)], warnings: [] };
  return verifyEvidence(collected, loadTrustPolicy({ keyless }));
}

const all = (v: VerifiedEvidence) => [...v.signatures, ...v.sbom_attestations, ...v.provenance_attestations, ...v.other_attestations];

const codes = (v: VerifiedEvidence) => all(v).map((e) => e.errors.map((x) => x.code));

describe('GitHub-produced bundle: npm provenance, SLSA v0.2 (npm-attestations.intoto.sigstore)', () => {
  const file = JSON.parse(readFileSync(join(DIR, 'npm-attestations.intoto.sigstore'), 'utf8')) as { attestations: { predicateType: string; bundle: unknown }[] };
  const prov = file.attestations.find((a) => a.predicateType === 'https://slsa.dev/provenance/v0.2')?.bundle;
  const publish = file.attestations.find((a) => a.predicateType.startsWith('https://github.com/npm/attestation/'))?.bundle;
  // the statement's subject: the npm tarball's sha512 (an OCI digest may be sha512 too); used as the wasm layer digest
  const digest = 'sha512:29d19f26233f4441328412b34fd73ed104ecfef62f14097890cccf7455b521b65c5acff851849faa85c85395aa22d401436f01f3afb61b19c780e906c88c7f20';
  const identity = { subject: 'https://github.com/laurentsimon/provenance-npm-test/.github/workflows/release.yml@refs/heads/main', issuer: GH };

  it('verifies offline against the shipped public-good root, bound by the wasm layer digest, filed as provenance', async () => {
    const out = await verify(prov, moduleFor(digest, true), [identity]);
    expect(all(out)).toHaveLength(1);
    expect(out.provenance_attestations).toHaveLength(1);
    const e = out.provenance_attestations[0];
    expect(e?.errors).toEqual([]);
    expect(e?.verified).toBe(true);
    expect(e?.subject_matches).toBe(true);
    expect(e?.predicate_type).toBe('https://slsa.dev/provenance/v0.2');
    expect((e?.predicate as { builder: { id: string } }).builder.id).toBe('https://github.com/npm/cli@9.5.0');
    expect(e?.tlog).toEqual({ log_index: 13420286, integrated_time: '2023-02-15T19:33:32.000Z' });
    expect(e?.certificate?.subject).toBe(identity.subject);
    expect(e?.certificate?.issuer).toBe(GH);
    // a 2023 Fulcio certificate carries the deprecated GitHub extensions (OIDs .1.2–.1.6), decoded by name
    expect(e?.certificate?.extensions).toMatchObject({
      issuer_v1: GH,
      github_workflow_trigger: 'workflow_dispatch',
      github_workflow_sha: '16babffb9153811e193c019939391357372b25ce',
      github_workflow_name: 'Publish Package to npmjs',
      github_workflow_repository: 'laurentsimon/provenance-npm-test',
      github_workflow_ref: 'refs/heads/main',
    });
  });

  it('a Fulcio extension constraint pins the source repository', async () => {
    const pinned = await verify(prov, moduleFor(digest, true), [{ ...identity, extensions: { github_workflow_repository: 'laurentsimon/provenance-npm-test' } }]);
    expect(pinned.provenance_attestations[0]?.verified).toBe(true);
    const fork = await verify(prov, moduleFor(digest, true), [{ ...identity, extensions: { github_workflow_repository: 'laurentsimon/provenance-npm-test-evil' } }]);
    expect(codes(fork)).toEqual([['extension_mismatch']]);
  });

  it('another module digest → subject_mismatch', async () => {
    const out = await verify(prov, moduleFor(`sha256:${'5'.repeat(64)}`), [identity]);
    expect(codes(out)).toEqual([['subject_mismatch']]);
    expect(out.provenance_attestations[0]?.verified).toBe(false);
    expect(out.provenance_attestations[0]?.predicate).toBeUndefined();
  });

  it('a different identity (lookalike repository) → identity_mismatch; the right subject from another issuer → issuer_mismatch', async () => {
    const lookalike = await verify(prov, moduleFor(digest, true), [{ ...identity, subject: 'https://github.com/laurentsimon/provenance-npm-test-evil/.github/workflows/release.yml@refs/heads/main' }]);
    expect(codes(lookalike)).toEqual([['identity_mismatch']]);
    const prefix = await verify(prov, moduleFor(digest, true), [{ subject_regexp: 'https://github\\.com/laurentsimon/provenance-npm', issuer: GH }]);
    expect(codes(prefix)).toEqual([['identity_mismatch']]);
    const issuer = await verify(prov, moduleFor(digest, true), [{ ...identity, issuer: 'https://gitlab.com' }]);
    expect(codes(issuer)).toEqual([['issuer_mismatch']]);
  });

  it("npm's publish attestation is signed by the npm registry's key, which is not configured → key_not_trusted", async () => {
    const out = await verify(publish, moduleFor(digest, true), [identity]);
    expect(codes(out)).toEqual([['key_not_trusted', 'unknown_predicate_type']]);
  });
});

describe('GitHub-produced bundle: slsa-github-generator provenance, SLSA v1.0 draft (attestation.intoto.sigstore)', () => {
  const bundle: unknown = JSON.parse(readFileSync(join(DIR, 'attestation.intoto.sigstore'), 'utf8'));
  const digest = 'sha256:2e38b952523576057f5ca8cf6d179ad6b66f6d0221b9a0eb621caf3507773c71';
  const identity = { subject: 'https://github.com/laurentsimon/slsa-delegator/.github/workflows/delegator_generic_slsa3.yml@refs/heads/main', issuer: GH };

  it('verifies offline (signature, tlog, identity, subject) and files the v1.0 draft type as provenance', async () => {
    const out = await verify(bundle, moduleFor(digest), [identity]);
    expect(out.other_attestations).toHaveLength(0);
    expect(out.provenance_attestations).toHaveLength(1);
    const e = out.provenance_attestations[0];
    expect(e?.errors).toEqual([]);
    expect(e?.verified).toBe(true);
    expect(e?.subject_matches).toBe(true);
    expect(e?.predicate_type).toBe('https://slsa.dev/provenance/v1.0?draft');
    expect(e?.tlog?.log_index).toBe(12092705);
    expect(e?.certificate?.extensions).toMatchObject({ github_workflow_repository: 'asraa/slsa-on-github-test', github_workflow_trigger: 'workflow_dispatch', github_workflow_ref: 'refs/heads/main' });
  });

  it('another module digest → subject_mismatch; a different identity → identity_mismatch', async () => {
    expect(codes(await verify(bundle, moduleFor(`sha256:${'6'.repeat(64)}`), [identity]))).toEqual([['subject_mismatch']]);
    expect(codes(await verify(bundle, moduleFor(digest), [{ ...identity, subject: identity.subject.replace('slsa-delegator', 'slsa-delegator-fork') }]))).toEqual([['identity_mismatch']]);
  });

  it('with only another (private) root configured, the public-good certificate is untrusted', async () => {
    const ms = await createMockSigstore();
    const collected: CollectedEvidence = { module: moduleFor(digest), evidence: [asReferrer(bundle, digest)], warnings: [] };
    const out = await verifyEvidence(collected, loadTrustPolicy({ keyless: [identity], trusted_roots: [ms.trustedRootPath] }));
    expect(all(out)[0]?.verified).toBe(false);
    expect(all(out)[0]?.errors.map((x) => x.code)).toContain('untrusted_root');
  });
});
