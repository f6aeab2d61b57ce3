/**
 * Writes wasmgate's embedded demo (demo/): an OCI image-layout store with four
 * wasm modules and their evidence, the trusted root their signatures chain to,
 * and the demo trust config. The evidence is keyless Sigstore material made
 * offline with @sigstore/mock (a demo Fulcio, Rekor and CT log whose keys exist
 * only in this run), so the identities are exactly the seed's: the build
 * workflow for the signature and SBOM, slsa-github-generator for provenance.
 *
 *   payments     signed, SBOM + provenance, clean                  → allow
 *   vulnerable   signed, SBOM lists smallvec 1.6.0 (Critical)      → deny
 *   unsigned     no evidence at all                                → deny
 *   spoofed      a clean SBOM whose subject is payments' digest    → deny
 *
 * Run: node scripts/make-demo.ts   (rewrites demo/store and demo/trusted_root.json)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bundleAttestation,
  createMockSigstore,
  githubClaims,
  statement,
  type MockSigstore,
  type Signer,
} from '../test/support/verify/mock-sigstore.ts';
import { encodeCoreModule, producersPayload } from '../test/support/wasm/encode.ts';
import { depV0Payload, type AuditablePackage } from '../test/support/wasm/fixtures.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'demo');
const store = join(root, 'store');
const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const EMPTY = { mediaType: 'application/vnd.oci.empty.v1+json', digest: '', size: 2 };
const CREATED = '2026-11-01T00:00:00Z';

const BUILD_REPO = 'myorg/payments-wasm';
const SLSA = 'slsa-framework/slsa-github-generator';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

const sha256 = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function writeBlob(bytes: Uint8Array | string, mediaType: string): Descriptor {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
  const digest = sha256(buf);
  writeFileSync(join(store, 'blobs', 'sha256', digest.slice(7)), buf);
  return { mediaType, digest, size: buf.length };
}

const index: { schemaVersion: 2; mediaType: string; manifests: Descriptor[] } = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [],
};

function crates(list: Array<[string, string]>): AuditablePackage[] {
  return [{ name: 'payments', version: '1.2.3', source: 'local', root: true }, ...list.map(([name, version]) => ({ name, version, source: 'crates.io' }))];
}

function wasmModule(name: string, deps: Array<[string, string]>): Uint8Array {
  return encodeCoreModule({
    imports: [{ module: 'wasi:http/types@0.2.0', name: '[method]incoming-request.method' }],
    exports: ['wasi:http/incoming-handler@0.2.0#handle'],
    memoryExport: 'memory',
    customSections: [
      { name: 'producers', payload: producersPayload({ language: [['Rust', '']], 'processed-by': [['rustc', '1.82.0 (f6e511eec 2024-10-15)'], ['wit-component', '0.216.0']], sdk: [['spin-sdk', '3.0.1']] }) },
      { name: '.dep-v0', payload: depV0Payload(crates(deps)) },
      { name: 'wasmgate-demo', payload: new TextEncoder().encode(name) },
    ],
  });
}

/** Pushes a module (config + wasm layer + manifest) and tags it. */
function pushModule(tag: string, wasm: Uint8Array): Descriptor {
  const config = writeBlob('{}', 'application/vnd.wasm.config.v0+json');
  const layer = writeBlob(wasm, 'application/wasm');
  layer.annotations = { 'org.opencontainers.image.title': `${tag}.wasm` };
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST,
    artifactType: 'application/vnd.wasm.config.v0+json',
    config,
    layers: [layer],
    annotations: { 'org.opencontainers.image.created': CREATED },
  });
  const desc = writeBlob(manifest, MANIFEST);
  index.manifests.push({ ...desc, annotations: { 'org.opencontainers.image.ref.name': tag } });
  return desc;
}

/** Attaches a Sigstore bundle as an OCI 1.1 referrer of `subject`, the way cosign v3 does. */
function attachBundle(subject: Descriptor, bundle: Uint8Array, predicateType: string): void {
  const layer = writeBlob(bundle, BUNDLE_V03);
  layer.annotations = { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': predicateType };
  const empty = writeBlob('{}', EMPTY.mediaType);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST,
    artifactType: BUNDLE_V03,
    config: empty,
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { 'org.opencontainers.image.created': CREATED },
  });
  index.manifests.push({ ...writeBlob(manifest, MANIFEST), artifactType: BUNDLE_V03 });
}

function cyclonedx(name: string, deps: Array<[string, string]>): object {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: { timestamp: CREATED, component: { type: 'application', 'bom-ref': `${name}@1.2.3`, name, version: '1.2.3' } },
    components: deps.map(([n, v]) => ({ type: 'library', 'bom-ref': `${n}:${v}`, name: n, version: v, purl: `pkg:cargo/${n}@${v}` })),
  };
}

function provenance(digest: string): object {
  return {
    buildDefinition: {
      buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
      externalParameters: { workflow: { ref: 'refs/heads/main', repository: `https://github.com/${BUILD_REPO}`, path: '.github/workflows/build-wasm.yml' } },
      resolvedDependencies: [{ uri: `git+https://github.com/${BUILD_REPO}@refs/heads/main`, digest: { gitCommit: 'a'.repeat(40) } }],
    },
    runDetails: { builder: { id: `https://github.com/${SLSA}/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0` }, metadata: { invocationId: `demo-${digest.slice(7, 19)}` } },
  };
}

async function attest(ms: MockSigstore, signer: Signer, subjectDigest: string, attachTo: Descriptor, predicateType: string, predicate: unknown): Promise<void> {
  const ev = await bundleAttestation(ms, signer, statement(subjectDigest, predicateType, predicate), attachTo.digest);
  attachBundle(attachTo, ev.payload, predicateType);
}

const CLEAN: Array<[string, string]> = [
  ['anyhow', '1.0.89'], ['bytes', '1.7.2'], ['http', '1.1.0'], ['itoa', '1.0.11'], ['memchr', '2.7.4'], ['ryu', '1.0.18'],
  ['serde', '1.0.210'], ['serde_json', '1.0.128'], ['smallvec', '1.13.2'], ['spin-sdk', '3.0.1'], ['wit-bindgen', '0.30.0'],
];
const VULNERABLE: Array<[string, string]> = CLEAN.map(([n, v]) => (n === 'smallvec' ? [n, '1.6.0'] : [n, v]));

async function main(): Promise<void> {
  rmSync(store, { recursive: true, force: true });
  mkdirSync(join(store, 'blobs', 'sha256'), { recursive: true });
  const ms = await createMockSigstore();
  const build = await ms.issue(githubClaims(BUILD_REPO, 'build-wasm.yml'));
  const generator = await ms.issue(githubClaims(SLSA, 'generator_generic_slsa3.yml', 'refs/tags/v2.1.0'));

  const signed = async (tag: string, deps: Array<[string, string]>): Promise<Descriptor> => {
    const m = pushModule(tag, wasmModule(tag, deps));
    await attest(ms, build, m.digest, m, 'https://sigstore.dev/cosign/sign/v1', {});
    await attest(ms, build, m.digest, m, 'https://cyclonedx.org/bom', cyclonedx(tag, deps));
    await attest(ms, generator, m.digest, m, 'https://slsa.dev/provenance/v1', provenance(m.digest));
    return m;
  };

  const payments = await signed('payments', CLEAN);
  await signed('vulnerable', VULNERABLE);
  pushModule('unsigned', wasmModule('unsigned', CLEAN));
  // Adversary 3: the attacker re-attaches payments' clean, validly signed SBOM (its subject names payments)
  // and provenance to a module built with other dependencies.
  const spoofed = pushModule('spoofed', wasmModule('spoofed', VULNERABLE));
  await attest(ms, build, payments.digest, spoofed, 'https://cyclonedx.org/bom', cyclonedx('payments', CLEAN));
  await attest(ms, generator, payments.digest, spoofed, 'https://slsa.dev/provenance/v1', provenance(payments.digest));

  writeFileSync(join(store, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(store, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  writeFileSync(join(root, 'trusted_root.json'), `${JSON.stringify(ms.trustedRoot, null, 2)}\n`);
  for (const m of index.manifests) {
    const tag = m.annotations?.['org.opencontainers.image.ref.name'];
    if (tag) process.stdout.write(`oci:demo/store:${tag}\t${m.digest}\n`);
  }
}

await main();
