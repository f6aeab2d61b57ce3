/**
 * Real-tool fixtures for verification tests: starts wasmgate-testregistry on a
 * free loopback port, pushes a wasm module with oras, signs and attests it with
 * cosign v3 (offline key flags) and reads the evidence back into RawEvidence.
 * The reader is deliberately tiny (plain HTTP, no auth): it stands in for
 * src/collect until that lands.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CollectedEvidence, OciDescriptor, RawEvidence } from '../../../src/oci/types.ts';
import { requireTool } from '../tools.ts';

export interface TestRegistry {
  addr: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestRegistry(): Promise<TestRegistry> {
  const bin = requireTool('wasmgate-testregistry');
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-verify-reg-'));
  const portFile = join(dir, 'port');
  const child: ChildProcess = spawn(bin, ['-addr', '127.0.0.1:0', '-port-file', portFile], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(portFile); i++) await sleep(25);
  const addr = existsSync(portFile) ? readFileSync(portFile, 'utf8').trim() : '';
  if (!addr) { child.kill(); throw new Error('wasmgate-testregistry did not start'); }
  return {
    addr,
    dir,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill();
      await done;
    },
  };
}

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...process.env, COSIGN_PASSWORD: '', COSIGN_YES: 'true', ...extra });

/** Pushes a tiny wasm module; returns its manifest digest. */
export function pushWasm(reg: TestRegistry, repo: string, bytes: Buffer): string {
  const f = `${repo.replaceAll('/', '_')}.wasm`;
  writeFileSync(join(reg.dir, f), bytes);
  execFileSync(requireTool('oras'), ['push', '--plain-http', `${reg.addr}/${repo}:1`, '--artifact-type', 'application/vnd.wasm.config.v0+json', `${f}:application/wasm`], { cwd: reg.dir, stdio: 'pipe' });
  return execFileSync(requireTool('oras'), ['resolve', '--plain-http', `${reg.addr}/${repo}:1`], { encoding: 'utf8' }).trim();
}

export interface CosignKey { keyPath: string; pubPath: string; pubPem: string }

export function cosignKeyPair(dir: string, name: string): CosignKey {
  const d = mkdtempSync(join(dir, `${name}-`));
  execFileSync(requireTool('cosign'), ['generate-key-pair'], { cwd: d, env: env(), stdio: 'pipe' });
  return { keyPath: join(d, 'cosign.key'), pubPath: join(d, 'cosign.pub'), pubPem: readFileSync(join(d, 'cosign.pub'), 'utf8') };
}

/** `cosign import-key-pair` of a PEM private key (RSA, ECDSA, Ed25519; PKCS#8) into an empty-password cosign key pair. */
export function cosignImportKeyPair(dir: string, name: string, privatePem: string): CosignKey {
  const d = mkdtempSync(join(dir, `${name}-`));
  writeFileSync(join(d, 'private.pem'), privatePem, { mode: 0o600 });
  execFileSync(requireTool('cosign'), ['import-key-pair', '--key', 'private.pem', '--output-key-prefix', 'cosign', '-y'], { cwd: d, env: env(), stdio: 'pipe' });
  return { keyPath: join(d, 'cosign.key'), pubPath: join(d, 'cosign.pub'), pubPem: readFileSync(join(d, 'cosign.pub'), 'utf8') };
}

const OFFLINE = ['--use-signing-config=false', '--tlog-upload=false', '-y'];

export function cosignSign(ref: string, key: CosignKey, legacy = false): void {
  execFileSync(requireTool('cosign'), ['sign', '--key', key.keyPath, ...OFFLINE, ...(legacy ? ['--new-bundle-format=false'] : []), ref], { env: env(), stdio: 'pipe' });
}

export function cosignAttest(ref: string, key: CosignKey, type: string, predicatePath: string, legacy = false): void {
  execFileSync(requireTool('cosign'), ['attest', '--key', key.keyPath, ...OFFLINE, ...(legacy ? ['--new-bundle-format=false'] : []), '--type', type, '--predicate', predicatePath, ref], { env: env(), stdio: 'pipe' });
}

interface Manifest { layers?: OciDescriptor[]; artifactType?: string; annotations?: Record<string, string>; subject?: OciDescriptor; config?: OciDescriptor }

async function get(url: string, accept: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url, { headers: { accept } });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

const MANIFEST_ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json';

/** Reads the referrers and cosign legacy tags of `digest` into the collector's contract shape. */
export async function collectEvidence(reg: TestRegistry, repo: string, digest: string): Promise<CollectedEvidence> {
  const base = `http://${reg.addr}/v2/${repo}`;
  const m = await get(`${base}/manifests/${digest}`, MANIFEST_ACCEPT);
  const manifest = JSON.parse(m.body.toString()) as Manifest & { mediaType: string };
  const layers = manifest.layers ?? [];
  const wasmLayer = layers.find((l) => l.mediaType === 'application/wasm');
  const evidence: RawEvidence[] = [];
  const addFrom = async (manifestDigest: string, man: Manifest, via: RawEvidence['discoveredVia']): Promise<void> => {
    for (const layer of man.layers ?? []) {
      const kind: RawEvidence['kind'] | undefined = layer.mediaType.startsWith('application/vnd.dev.sigstore.bundle') ? 'sigstore-bundle'
        : layer.mediaType === 'application/vnd.dev.cosign.simplesigning.v1+json' ? 'cosign-legacy-signature'
          : layer.mediaType === 'application/vnd.dsse.envelope.v1+json' ? 'cosign-legacy-attestation' : undefined;
      if (!kind) continue;
      const blob = await get(`${base}/blobs/${layer.digest}`, '*/*');
      if (`sha256:${createHash('sha256').update(blob.body).digest('hex')}` !== layer.digest) throw new Error(`blob ${layer.digest} digest mismatch`);
      evidence.push({ kind, manifestDigest, attachedTo: digest, discoveredVia: via, layer, payload: blob.body, ...(man.artifactType ? { artifactType: man.artifactType } : {}), ...(man.annotations ? { annotations: man.annotations } : {}) });
    }
  };
  const refs = await get(`${base}/referrers/${digest}`, 'application/vnd.oci.image.index.v1+json');
  if (refs.status === 200) {
    for (const d of (JSON.parse(refs.body.toString()) as { manifests: OciDescriptor[] }).manifests) {
      const r = await get(`${base}/manifests/${d.digest}`, MANIFEST_ACCEPT);
      const man = JSON.parse(r.body.toString()) as Manifest;
      if (man.subject?.digest === digest) await addFrom(d.digest, man, 'referrers-api');
    }
  }
  for (const suffix of ['sig', 'att']) {
    const t = await get(`${base}/manifests/${digest.replace(':', '-')}.${suffix}`, MANIFEST_ACCEPT);
    if (t.status !== 200) continue;
    await addFrom(`sha256:${createHash('sha256').update(t.body).digest('hex')}`, JSON.parse(t.body.toString()) as Manifest, 'cosign-legacy-tag');
  }
  return {
    module: { ref: `${reg.addr}/${repo}:1`, repository: `${reg.addr}/${repo}`, digest, mediaType: manifest.mediaType, layers, ...(wasmLayer ? { wasmLayer } : {}) },
    evidence,
    warnings: [],
  };
}
