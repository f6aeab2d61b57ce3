import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentCache, collectEvidence, createCollector, peekPredicateType, type CollectedEvidence } from '../../../src/collect/index.ts';
import { anonymousCredentials, sha256Digest } from '../../../src/registry/index.ts';
import {
  CYCLONEDX_FIXTURE, WASM_CONTENT_LAYER_MEDIA_TYPE, cosignSign, createCosignKey, minimalWasmModule, publishSignedModule, pushWasmModule, type CosignKey,
} from '../../support/evidence.ts';
import { startDockerRegistry, startTestRegistry, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';
import { rejectionCode } from '../../support/errors.ts';

const run = promisify(execFile);
const anon = { registry: { credentials: anonymousCredentials } };
const PREDICATES = ['https://cosign.sigstore.dev/attestation/v1', 'https://cyclonedx.org/bom', 'https://sigstore.dev/cosign/sign/v1'];

function predicates(c: CollectedEvidence): string[] {
  return c.evidence.map((e) => peekPredicateType(e) ?? e.kind).sort();
}

describe.skipIf(missingOutsideCi('oras', 'cosign', 'wasmgate-testregistry', 'docker-registry'))('collectEvidence from real registries', () => {
  let withReferrers: RunningRegistry;
  let withoutReferrers: RunningRegistry;
  let docker: RunningRegistry;
  let key: CosignKey;

  beforeAll(async () => {
    [withReferrers, withoutReferrers, docker, key] = await Promise.all([
      startTestRegistry({ referrers: true }), startTestRegistry({ referrers: false }), startDockerRegistry(), createCosignKey(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([withReferrers?.stop(), withoutReferrers?.stop(), docker?.stop()]);
  });

  describe('when cosign v3 stored bundles as referrers (referrers API)', () => {
    it('returns the three bundles, digest-checked, found through the referrers API', async () => {
      const mod = await publishSignedModule({ registry: withReferrers.host, key });
      const c = await collectEvidence(mod.ref, anon);
      expect(c.module).toMatchObject({ digest: mod.digest, repository: `${withReferrers.host}/wasm/module`, artifactType: 'application/vnd.wasm.config.v0+json' });
      expect(c.module.wasmLayer).toMatchObject({ mediaType: 'application/wasm', digest: mod.wasmDigest });
      expect(c.evidence).toHaveLength(3);
      for (const e of c.evidence) {
        expect(e).toMatchObject({ kind: 'sigstore-bundle', discoveredVia: 'referrers-api', attachedTo: mod.digest });
        expect(sha256Digest(e.payload)).toBe(e.layer.digest);
      }
      expect(predicates(c)).toEqual(PREDICATES);
      expect(c.warnings).toEqual([]);
    });

    it('resolves a tag once and collects the same evidence', async () => {
      const mod = await publishSignedModule({ registry: withReferrers.host, repository: 'wasm/tagged', key });
      const c = await collectEvidence(mod.tagRef, anon);
      expect(c.module.digest).toBe(mod.digest);
      expect(c.module.ref).toBe(mod.tagRef);
      expect(c.evidence).toHaveLength(3);
    });

    it('examines only the newest maxReferrers and says so', async () => {
      const mod = await publishSignedModule({ registry: withReferrers.host, repository: 'wasm/bounded', key });
      const c = await collectEvidence(mod.ref, { ...anon, limits: { maxReferrers: 2 } });
      expect(c.evidence).toHaveLength(2);
      expect(c.warnings.map((w) => w.code)).toContain('REFERRERS_TRUNCATED');
    });

    it('keeps only the requested artifactType when asked', async () => {
      const mod = await publishSignedModule({ registry: withReferrers.host, repository: 'wasm/filtered', key });
      const bundles = await collectEvidence(mod.ref, { ...anon, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' });
      expect(bundles.evidence).toHaveLength(3);
      const none = await collectEvidence(mod.ref, { ...anon, artifactType: 'application/vnd.example.other+json', legacyTags: false });
      expect(none.evidence).toHaveLength(0);
    });
  });

  describe('when the registry has no referrers API', () => {
    it('falls back to the sha256-<hex> referrers tag (wasmgate-testregistry -referrers=false)', async () => {
      const mod = await publishSignedModule({ registry: withoutReferrers.host, key });
      const c = await collectEvidence(mod.ref, anon);
      expect(c.evidence.map((e) => e.discoveredVia)).toEqual(['referrers-tag', 'referrers-tag', 'referrers-tag']);
      expect(predicates(c)).toEqual(PREDICATES);
    });

    it('falls back to the referrers tag on Debian docker-registry, for the seed layer media type too', async () => {
      const mod = await publishSignedModule({ registry: docker.host, key, layerMediaType: WASM_CONTENT_LAYER_MEDIA_TYPE });
      const c = await collectEvidence(mod.ref, anon);
      expect(c.module.wasmLayer?.mediaType).toBe(WASM_CONTENT_LAYER_MEDIA_TYPE);
      expect(c.evidence).toHaveLength(3);
      expect(new Set(c.evidence.map((e) => e.discoveredVia))).toEqual(new Set(['referrers-tag']));
    });
  });

  describe('when cosign wrote legacy tags (--new-bundle-format=false)', () => {
    it.each([['docker-registry', () => docker], ['wasmgate-testregistry', () => withReferrers]])('returns the .sig and .att layers from %s', async (_name, reg) => {
      const mod = await publishSignedModule({ registry: reg().host, repository: 'wasm/legacy', key, legacy: true });
      const c = await collectEvidence(mod.ref, anon);
      const kinds = c.evidence.map((e) => e.kind).sort();
      expect(kinds).toEqual(['cosign-legacy-attestation', 'cosign-legacy-attestation', 'cosign-legacy-signature']);
      expect(c.evidence.every((e) => e.discoveredVia === 'cosign-legacy-tag' && e.attachedTo === mod.digest)).toBe(true);
      const sig = c.evidence.find((e) => e.kind === 'cosign-legacy-signature');
      expect(sig?.layer.annotations?.['dev.cosignproject.cosign/signature']).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
      const simple = JSON.parse(Buffer.from(sig?.payload ?? new Uint8Array()).toString('utf8')) as { critical: { image: { 'docker-manifest-digest': string } } };
      expect(simple.critical.image['docker-manifest-digest']).toBe(mod.digest);
      expect(predicates(c)).toContain('https://cyclonedx.org/bom');
    });
  });

  describe('when an unsigned artifact is attached with oras attach', () => {
    it('reports it as a warning, not as evidence', async () => {
      const mod = await pushWasmModule({ registry: withReferrers.host, repository: 'wasm/unsigned' });
      await run(requireTool('oras'), ['attach', '--plain-http', '--artifact-type', 'application/vnd.cyclonedx+json', mod.ref, 'sbom.cyclonedx.json:application/vnd.cyclonedx+json'], { cwd: dirname(CYCLONEDX_FIXTURE) });
      const c = await collectEvidence(mod.ref, anon);
      expect(c.evidence).toEqual([]);
      expect(c.warnings.map((w) => w.code)).toEqual(['REFERRER_IGNORED']);
    });
  });

  describe('when the reference names an image index', () => {
    it('selects the wasm manifest and counts evidence on the index and on the manifest', async () => {
      const mod = await pushWasmModule({ registry: withReferrers.host, repository: 'wasm/indexed' });
      const work = await mkdtemp(join(tmpdir(), 'wasmgate-index-'));
      const manifest = (await run(requireTool('oras'), ['manifest', 'fetch', '--plain-http', mod.ref])).stdout;
      const index = {
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: mod.digest, size: Buffer.byteLength(manifest), platform: { architecture: 'wasm', os: 'wasip1' } }],
      };
      await writeFile(join(work, 'index.json'), JSON.stringify(index));
      await run(requireTool('oras'), ['manifest', 'push', '--plain-http', '--media-type', 'application/vnd.oci.image.index.v1+json', `${withReferrers.host}/wasm/indexed:multi`, join(work, 'index.json')]);
      const indexDigest = sha256Digest(Buffer.from(JSON.stringify(index)));
      await cosignSign(`${withReferrers.host}/wasm/indexed@${indexDigest}`, { key });
      await cosignSign(mod.ref, { key });
      const c = await collectEvidence(`${withReferrers.host}/wasm/indexed:multi`, anon);
      expect(c.module.digest).toBe(mod.digest);
      expect(c.module.indexDigest).toBe(indexDigest);
      expect(c.evidence.map((e) => e.attachedTo).sort()).toEqual([mod.digest, indexDigest].sort());
    });
  });

  describe('when many callers ask for the same module at once', () => {
    it('fetches each immutable manifest and blob once', async () => {
      const mod = await publishSignedModule({ registry: withReferrers.host, repository: 'wasm/shared', key });
      const cache = new ContentCache();
      const collector = createCollector({ ...anon, cache });
      try {
        const all = await Promise.all(Array.from({ length: 5 }, () => collector.collect(mod.ref)));
        expect(all.every((c) => c.evidence.length === 3)).toBe(true);
        // module manifest + 3 referrer manifests + 3 bundle blobs, each fetched once; the other 4 callers share
        expect(cache.stats.misses).toBe(7);
        expect(cache.stats.hits + cache.stats.shared).toBe(28);
      } finally {
        await collector.close();
      }
    });
  });

  describe('Collector.fetchBlob', () => {
    it('returns the wasm layer bytes, digest-checked, and serves a second call from the cache', async () => {
      const wasm = minimalWasmModule('fetch-blob');
      const mod = await pushWasmModule({ registry: withReferrers.host, repository: 'wasm/blob', wasm });
      const collector = createCollector(anon);
      try {
        const c = await collector.collect(mod.ref);
        const layer = c.module.wasmLayer;
        if (!layer) throw new Error('no wasm layer');
        expect(Buffer.from(await collector.fetchBlob(c.module, layer))).toEqual(Buffer.from(wasm));
        await withReferrers.stop();
        // the registry is gone: the cached copy still answers
        expect(Buffer.from(await collector.fetchBlob(c.module, layer))).toEqual(Buffer.from(wasm));
      } finally {
        await collector.close();
        withReferrers = await startTestRegistry({ referrers: true });
      }
    });
  });

  describe('when the reference is not acceptable', () => {
    it('throws HOST_NOT_ALLOWED for a registry outside the allow-list', async () => {
      expect(await rejectionCode(collectEvidence(`${docker.host}/wasm/module:v1`, { registry: { credentials: anonymousCredentials, allowedHosts: ['ghcr.io'] } }))).toBe('HOST_NOT_ALLOWED');
    });
    it('throws MANIFEST_UNKNOWN for a missing tag and INVALID_REFERENCE for a bad reference', async () => {
      expect(await rejectionCode(collectEvidence(`${docker.host}/wasm/nothing:v9`, anon))).toBe('MANIFEST_UNKNOWN');
      expect(await rejectionCode(collectEvidence('NOT A REF', anon))).toBe('INVALID_REFERENCE');
    });
    it('throws REGISTRY_UNREACHABLE when nothing listens', async () => {
      const stopped = await startTestRegistry();
      await stopped.stop();
      expect(await rejectionCode(collectEvidence(`${stopped.host}/wasm/module:v1`, { registry: { credentials: anonymousCredentials, retries: 1, backoffMs: 5 } }))).toBe('REGISTRY_UNREACHABLE');
    });
  });

  describe('wasmgate evidence', () => {
    it('prints descriptors, media types, predicate types and sizes as JSON', async () => {
      const mod = await publishSignedModule({ registry: docker.host, repository: 'wasm/cli', key });
      const { stdout } = await run(process.execPath, ['bin/wasmgate.js', 'evidence', mod.ref, '--json'], { cwd: join(import.meta.dirname, '../../..'), env: { ...process.env, DOCKER_CONFIG: await mkdtemp(join(tmpdir(), 'wasmgate-nocfg-')) } });
      const report = JSON.parse(stdout) as { module: { digest: string; wasm_layer: { size: number } }; evidence: Array<{ predicate_type: string; layer: { size: number; media_type: string } }> };
      expect(report.module.digest).toBe(mod.digest);
      expect(report.module.wasm_layer.size).toBeGreaterThan(8);
      expect(report.evidence.map((e) => e.predicate_type).sort()).toEqual(PREDICATES);
      expect(report.evidence.every((e) => e.layer.size > 0 && e.layer.media_type === 'application/vnd.dev.sigstore.bundle.v0.3+json')).toBe(true);
    });

    it('prints text and exits 2 with the error code when collection fails', async () => {
      const result = await run(process.execPath, ['bin/wasmgate.js', 'evidence', `${docker.host}/wasm/nothing:v9`], { cwd: join(import.meta.dirname, '../../..') }).catch((e: { code: number; stderr: string }) => e);
      expect(result).toMatchObject({ code: 2 });
      expect((result as { stderr: string }).stderr).toContain('MANIFEST_UNKNOWN');
    });
  });
});
