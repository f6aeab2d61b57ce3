/**
 * Issue 13 item 3: scripts/build-image.sh builds a reproducible OCI image of wasmgate without a container
 * daemon. The image's root filesystem is unpacked and `wasmgate check` / its ENTRYPOINT run inside a chroot
 * of it as the image's non-root user; the image is pushed to the test registry with crane, SBOM included.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { list as tarList } from 'tar';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_UID, buildImage, pushImage, readDebLock, type BuildImageResult, type Descriptor } from '../../../scripts/release/build-image.ts';
import { REPO_ROOT } from '../../../scripts/release/pack.ts';
import { assertValidCycloneDx } from '../../../src/analyse/sbom/cyclonedx-validate.ts';
import { freePort, startTestRegistry, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';

const run = promisify(execFile);
const EPOCH = 1_767_225_600; // 2026-01-01T00:00:00Z

interface ImageConfig {
  created: string;
  config: { User: string; Entrypoint: string[]; Env: string[]; WorkingDir: string; Labels: Record<string, string> };
  rootfs: { diff_ids: string[] };
}
interface Manifest { config: Descriptor; layers: Descriptor[]; annotations?: Record<string, string>; subject?: Descriptor; artifactType?: string }

const blobPath = (layout: string, digest: string): string => join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;

const notRoot = process.getuid?.() !== 0;

describe.skipIf(missingOutsideCi('crane', 'wasmgate-testregistry') || (notRoot && process.env.CI !== 'true'))('the wasmgate OCI image (scripts/build-image.sh)', () => {
  let work: string;
  let built: BuildImageResult;
  let manifest: Manifest;
  let config: ImageConfig;
  let rootfs: string;

  /** Runs argv inside a chroot of the unpacked image as its user, with its Env and WorkingDir: a container, minus namespaces. */
  function inImage(argv: string[]): ReturnType<typeof spawn> {
    const [uid, gid] = config.config.User.split(':');
    const script = `cd "$1" && shift && exec "$@"`;
    return spawn('/usr/sbin/chroot', [`--userspec=${uid}:${gid}`, rootfs, '/bin/sh', '-c', script, 'sh', config.config.WorkingDir, ...argv], {
      env: Object.fromEntries(config.config.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
  async function inImageDone(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = inImage(argv);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
    const code = await new Promise<number | null>((ok) => child.on('close', ok));
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    if (notRoot) throw new Error('the image test unpacks a root filesystem and chroots into it: run it as root');
    work = await mkdtemp(join(tmpdir(), 'wasmgate-image-test-'));
    built = await buildImage({ out: join(work, 'image'), cache: join(REPO_ROOT, 'build', 'cache'), epoch: EPOCH, log: () => {} });
    const index = await readJson<{ manifests: Descriptor[] }>(join(built.layout, 'index.json'));
    manifest = await readJson<Manifest>(blobPath(built.layout, built.manifestDigest));
    config = await readJson<ImageConfig>(blobPath(built.layout, manifest.config.digest));
    expect(index.manifests.map((m) => m.digest)).toEqual([built.manifestDigest, built.sbomDigest]);
    rootfs = join(work, 'rootfs');
    await mkdir(rootfs);
    for (const layer of manifest.layers) await run('tar', ['-xzf', blobPath(built.layout, layer.digest), '-C', rootfs]);
  }, 600_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is an OCI image with a non-root user, ENTRYPOINT wasmgate serve and org.opencontainers.image labels', async () => {
    expect(config.config.User).toBe(`${APP_UID}:${APP_UID}`);
    expect(config.config.Entrypoint).toEqual(['wasmgate', 'serve']);
    expect(config.created).toBe('2026-01-01T00:00:00Z');
    const pkg = await readJson<{ version: string; license: string }>(join(REPO_ROOT, 'package.json'));
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'wasmgate',
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.licenses': pkg.license,
      'org.opencontainers.image.created': '2026-01-01T00:00:00Z',
    });
    expect(manifest.annotations?.['org.opencontainers.image.version']).toBe(pkg.version);
    expect(manifest.layers.every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip')).toBe(true);
    expect(config.rootfs.diff_ids).toHaveLength(manifest.layers.length);
  });

  it('has reproducible layers: one mtime (SOURCE_DATE_EPOCH), numeric owners, root-owned except the state and home folders', async () => {
    for (const layer of manifest.layers) {
      const entries: Array<{ path: string; mtime: number; uid: number }> = [];
      await tarList({ file: blobPath(built.layout, layer.digest), onReadEntry: (e) => { entries.push({ path: e.path, mtime: (e.mtime?.getTime() ?? 0) / 1000, uid: e.uid ?? -1 }); } });
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.filter((e) => e.mtime !== EPOCH)).toEqual([]);
      expect(entries.filter((e) => e.uid !== 0).map((e) => e.path).sort()).toEqual(
        layer === manifest.layers[0] ? ['home/wasmgate/', 'var/lib/wasmgate/'] : [],
      );
    }
  });

  it('rebuilds to the same digest from an empty layer cache', async () => {
    const cache = join(work, 'cache2');
    await mkdir(cache);
    await symlink(join(REPO_ROOT, 'build', 'cache', 'debs'), join(cache, 'debs'));
    const again = await buildImage({ out: join(work, 'image2'), cache, epoch: EPOCH, log: () => {} });
    expect(again.manifestDigest).toBe(built.manifestDigest);
    expect(again.sbomDigest).toBe(built.sbomDigest);
  }, 600_000);

  it('runs `wasmgate check` on the shipped demo store inside a chroot of its root filesystem, as its non-root user', async () => {
    // --deadline: the embedded default's 900 ms budget is for a quiet machine; the suite shares two cores
    const ok = await inImageDone(['wasmgate', 'check', 'oci:demo/store:payments', '--deadline', '60000']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^ALLOW {2}oci:demo\/store:payments \(sha256:f3e231f14ab794ff09fb42e271f3e2f19fc57ca535129e634cf3f6f13db3de99\)/);
    expect(ok.code).toBe(0);
    const bad = await inImageDone(['wasmgate', 'check', 'oci:demo/store:vulnerable', '--deadline', '60000']);
    expect(bad.stdout).toContain('WASM module SBOM contains 1 critical vulnerabilities.');
    expect(bad.code).toBe(1);
    const who = await inImageDone(['node', '-p', 'process.getuid() + " " + process.version']);
    expect(who.stdout.trim()).toMatch(new RegExp(`^${APP_UID} v24\\.`));
  });

  it('serves decisions from its ENTRYPOINT', async () => {
    const port = await freePort();
    const child = inImage([...config.config.Entrypoint, '--addr', `127.0.0.1:${port}`]);
    try {
      let log = '';
      child.stdout?.on('data', (b: Buffer) => { log += b.toString(); });
      child.stderr?.on('data', (b: Buffer) => { log += b.toString(); });
      const until = Date.now() + 30_000;
      while (!log.includes('wasmgate is serving')) {
        if (child.exitCode !== null || Date.now() > until) throw new Error(`wasmgate serve in the image did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const ask = async (): Promise<{ result?: { allow?: boolean; deny?: string[] } }> => (await fetch(`http://127.0.0.1:${port}/v1/data/wasm/sbom`, {
        method: 'POST', body: JSON.stringify({ input: { module: { ref: 'oci:demo/store:payments' } } }),
      })).json() as Promise<{ result?: { allow?: boolean; deny?: string[] } }>;
      // the embedded default's 900 ms deadline can pass on a loaded machine: only a timeout is asked again
      let answer = await ask();
      for (let i = 0; i < 5 && answer.result?.deny?.some((d) => d.startsWith('timeout:')); i++) answer = await ask();
      expect(answer).toMatchObject({ result: { allow: true, deny: [] } });
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('carries a valid CycloneDX SBOM of the image: the Debian packages, Node.js and every installed npm package', async () => {
    const sbomManifest = await readJson<Manifest>(blobPath(built.layout, built.sbomDigest));
    expect(sbomManifest.artifactType).toBe('application/vnd.cyclonedx+json');
    expect(sbomManifest.subject?.digest).toBe(built.manifestDigest);
    const [layer] = sbomManifest.layers;
    const sbom = await readJson<{ components: Array<{ name: string; version: string; purl: string }> }>(blobPath(built.layout, layer?.digest ?? ''));
    assertValidCycloneDx(sbom);
    expect(sbom).toEqual(await readJson(built.sbom));
    const purls = sbom.components.map((c) => c.purl);
    for (const d of await readDebLock()) expect(purls).toContain(`pkg:deb/debian/${encodeURIComponent(d.name)}@${encodeURIComponent(d.version)}?arch=amd64&distro=debian-12`);
    expect(purls.some((p) => /^pkg:generic\/node@24\./.test(p))).toBe(true);
    const installed = (await readdir(join(rootfs, 'opt/wasmgate/node_modules'), { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
    for (const e of installed.filter((d) => !d.name.startsWith('@'))) expect(sbom.components.map((c) => c.name)).toContain(e.name);
    expect(purls).toContain(`pkg:npm/express@${(await readJson<{ version: string }>(join(rootfs, 'opt/wasmgate/node_modules/express/package.json'))).version}`);
  });

  describe('pushed with crane', () => {
    let registry: RunningRegistry;
    beforeAll(async () => { registry = await startTestRegistry(); });
    afterAll(async () => { await registry?.stop(); });

    it('lands in the registry under the same digest, with the SBOM as its referrer', async () => {
      const crane = requireTool('crane');
      const pushed = await pushImage(built.layout, `${registry.host}/wasmgate`, { crane, insecure: true });
      expect(pushed.digest).toBe(built.manifestDigest);
      const { stdout: digest } = await run(crane, ['digest', '--insecure', `${registry.host}/wasmgate:${pushed.tag}`]);
      expect(digest.trim()).toBe(built.manifestDigest);
      const { stdout: remoteConfig } = await run(crane, ['config', '--insecure', `${registry.host}/wasmgate@${built.manifestDigest}`]);
      expect((JSON.parse(remoteConfig) as ImageConfig).config.Entrypoint).toEqual(['wasmgate', 'serve']);
      const referrers = await (await fetch(`${registry.url}/v2/wasmgate/referrers/${built.manifestDigest}`)).json() as { manifests: Descriptor[] };
      expect(referrers.manifests.map((m) => m.digest)).toEqual([built.sbomDigest]);
    });
  });
});

describe('deploy/kubernetes runs the image pinned by digest, with serve\'s options as args (ENTRYPOINT is wasmgate serve)', () => {
  it.each(['wasm-app-with-wasmgate.yaml', 'gatekeeper/wasmgate-provider.yaml'])('%s', async (file) => {
    const docs = parseAllDocuments(await readFile(join(REPO_ROOT, 'deploy', 'kubernetes', file), 'utf8')).map((d) => d.toJS() as unknown);
    const found: Array<{ image: string; args?: string[] }> = [];
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v !== null && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.image === 'string' && o.image.includes('/wasmgate/wasmgate')) found.push(o as unknown as { image: string; args?: string[] });
        Object.values(o).forEach(visit);
      }
    };
    docs.forEach(visit);
    expect(found.length).toBe(1);
    for (const c of found) {
      expect(c.image).toMatch(/^ghcr\.io\/wasmgate\/wasmgate:0\.1\.0@sha256:[0-9a-f]{64}$/);
      expect(c.args?.[0]).toBe('--config');
    }
  });
});
