/**
 * Publishes wasm modules and their evidence with the REAL tools, for tests in any area:
 *
 * - `minimalWasmModule(salt)` — a tiny valid core wasm module (exports `run`), distinct per salt.
 * - `pushWasmModule({ registry | layoutDir, repository, tag, … })` — `oras push` of a wasm artifact: config
 *   `application/vnd.wasm.config.v0+json` + layer `application/wasm` (or any layer media type, e.g. the seed's
 *   `application/vnd.wasm.content.layer.v1+wasm`); to a registry over plain HTTP or to an OCI layout
 *   (`--oci-layout`). Returns the manifest digest and a digest reference.
 * - `createCosignKey(dir)` — `cosign generate-key-pair` with an empty password: `{ key, pub }` paths.
 * - `cosignSign(ref, { key, legacy })` / `cosignAttest(ref, { key, predicate, type, legacy })` — key-based,
 *   offline (`--tlog-upload=false --use-signing-config=false`); `legacy: true` adds `--new-bundle-format=false`
 *   (cosign's `.sig` / `.att` tags) instead of v3 bundles stored as OCI referrers.
 *   `signatureRepository: 'host/repo'` sets cosign's COSIGN_REPOSITORY (evidence stored in another repository).
 * - `cosignSave(ref, dir)` — `cosign save --dir`.
 * - `publishSignedModule(...)` — push + sign + CycloneDX attestation + custom attestation (three referrers).
 *
 * Registry references are `127.0.0.1:<port>/<repo>`; cosign (go-containerregistry) uses plain HTTP for
 * loopback by itself, oras is given `--plain-http`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { requireTool } from './tools.ts';
import { uleb } from './wasm/encode.ts';

const run = promisify(execFile);

export const WASM_CONFIG_MEDIA_TYPE = 'application/vnd.wasm.config.v0+json';
export const WASM_LAYER_MEDIA_TYPE = 'application/wasm';
export const WASM_CONTENT_LAYER_MEDIA_TYPE = 'application/vnd.wasm.content.layer.v1+wasm';
/** CycloneDX SBOM from psastras/sbom-rs (MIT), see test/fixtures/collect/SOURCES.md */
export const CYCLONEDX_FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'collect', 'sbom.cyclonedx.json');

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

/** A valid core module: one `() -> i32` function exported as `run`, plus a custom section carrying `salt`. */
export function minimalWasmModule(salt = 'wasmgate'): Uint8Array {
  const name = [...Buffer.from('wasmgate-test')];
  const saltBytes = [...Buffer.from(salt)];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x00, 0x01, 0x7f]), // type: () -> i32
    ...section(3, [0x01, 0x00]), // func 0 has type 0
    ...section(7, [0x01, 0x03, ...Buffer.from('run'), 0x00, 0x00]), // export "run" func 0
    ...section(10, [0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b]), // body: i32.const 42
    ...section(0, [...uleb(name.length), ...name, ...saltBytes]),
  ];
  return new Uint8Array(bytes);
}

export interface PushedModule {
  /** manifest digest */
  digest: string;
  /** `host/repo@sha256:…` (or `oci:<dir>@sha256:…`) */
  ref: string;
  /** `host/repo:tag` (or `oci:<dir>:tag`) */
  tagRef: string;
  wasmDigest: string;
}

export async function pushWasmModule(options: {
  /** `127.0.0.1:<port>`; or give layoutDir */
  registry?: string;
  layoutDir?: string;
  repository?: string;
  tag?: string;
  wasm?: Uint8Array;
  layerMediaType?: string;
  configMediaType?: string;
}): Promise<PushedModule> {
  const oras = requireTool('oras');
  const work = await mkdtemp(join(tmpdir(), 'wasmgate-push-'));
  const wasm = options.wasm ?? minimalWasmModule(Math.random().toString(36));
  const wasmDigest = `sha256:${createHash('sha256').update(wasm).digest('hex')}`;
  await writeFile(join(work, 'module.wasm'), wasm);
  const config = { created: '2026-01-01T00:00:00Z', architecture: 'wasm', os: 'wasip1', layerDigests: [wasmDigest] };
  await writeFile(join(work, 'config.json'), JSON.stringify(config));
  const tag = options.tag ?? 'v1';
  const layer = `module.wasm:${options.layerMediaType ?? WASM_LAYER_MEDIA_TYPE}`;
  const configArg = `config.json:${options.configMediaType ?? WASM_CONFIG_MEDIA_TYPE}`;
  let args: string[];
  let base: string;
  if (options.layoutDir) {
    await mkdir(options.layoutDir, { recursive: true });
    args = ['push', '--oci-layout', `${options.layoutDir}:${tag}`, '--config', configArg, '--format', 'json', layer];
    base = `oci:${options.layoutDir}`;
  } else {
    if (!options.registry) throw new Error('pushWasmModule needs registry or layoutDir');
    base = `${options.registry}/${options.repository ?? 'wasm/module'}`;
    args = ['push', '--plain-http', `${base}:${tag}`, '--config', configArg, '--format', 'json', layer];
  }
  const { stdout } = await run(oras, args, { cwd: work });
  const digest = (JSON.parse(stdout) as { digest: string }).digest;
  return { digest, ref: `${base}@${digest}`, tagRef: `${base}:${tag}`, wasmDigest };
}

export interface CosignKey {
  key: string;
  pub: string;
}

function cosignEnv(home: string): NodeJS.ProcessEnv {
  // no TUF, no network: an isolated HOME and an empty key password
  return { PATH: process.env.PATH ?? '', HOME: home, COSIGN_PASSWORD: '', COSIGN_YES: 'true', TUF_ROOT: join(home, '.sigstore') };
}

export async function createCosignKey(dir?: string): Promise<CosignKey> {
  const cosign = requireTool('cosign');
  const work = dir ?? (await mkdtemp(join(tmpdir(), 'wasmgate-cosign-key-')));
  await mkdir(work, { recursive: true });
  await run(cosign, ['generate-key-pair'], { cwd: work, env: cosignEnv(work) });
  return { key: join(work, 'cosign.key'), pub: join(work, 'cosign.pub') };
}

const OFFLINE = ['--use-signing-config=false', '--tlog-upload=false', '-y'];

export async function cosignSign(ref: string, options: { key: CosignKey; legacy?: boolean; annotations?: Record<string, string>; signatureRepository?: string }): Promise<void> {
  const cosign = requireTool('cosign');
  const args = ['sign', '--key', options.key.key, ...OFFLINE];
  if (options.legacy) args.push('--new-bundle-format=false');
  for (const [k, v] of Object.entries(options.annotations ?? {})) args.push('-a', `${k}=${v}`);
  args.push(ref);
  await run(cosign, args, { env: withSignatureRepository(cosignEnv(dirname(options.key.key)), options.signatureRepository) });
}

export async function cosignAttest(ref: string, options: { key: CosignKey; predicate: string; type: string; legacy?: boolean; signatureRepository?: string }): Promise<void> {
  const cosign = requireTool('cosign');
  const args = ['attest', '--key', options.key.key, ...OFFLINE, '--type', options.type, '--predicate', options.predicate];
  if (options.legacy) args.push('--new-bundle-format=false');
  args.push(ref);
  await run(cosign, args, { env: withSignatureRepository(cosignEnv(dirname(options.key.key)), options.signatureRepository) });
}

/** cosign's COSIGN_REPOSITORY: store signatures/attestations in `registry/repo` instead of beside the image. */
function withSignatureRepository(env: NodeJS.ProcessEnv, repository: string | undefined): NodeJS.ProcessEnv {
  return repository ? { ...env, COSIGN_REPOSITORY: repository } : env;
}

export async function cosignSave(ref: string, dir: string, key: CosignKey): Promise<void> {
  const cosign = requireTool('cosign');
  await run(cosign, ['save', '--dir', dir, ref], { env: cosignEnv(dirname(key.key)) });
}

/** A custom predicate file (cosign `--type custom`), for a third distinct attestation. */
export async function writeCustomPredicate(dir: string): Promise<string> {
  const path = join(dir, 'custom-predicate.json');
  await writeFile(path, JSON.stringify({ scanner: 'wasmgate-test', result: 'ok' }));
  return path;
}

/**
 * Push a module, then sign it, attest the CycloneDX fixture and a custom predicate: three pieces of evidence
 * (as three OCI referrers, or as `.sig` + `.att` (two layers) with `legacy: true`).
 */
export async function publishSignedModule(options: { registry: string; repository?: string; key: CosignKey; legacy?: boolean; layerMediaType?: string }): Promise<PushedModule> {
  const pushed = await pushWasmModule({
    registry: options.registry,
    ...(options.repository ? { repository: options.repository } : {}),
    ...(options.layerMediaType ? { layerMediaType: options.layerMediaType } : {}),
  });
  const legacy = options.legacy ? { legacy: true } : {};
  await cosignSign(pushed.ref, { key: options.key, ...legacy });
  await cosignAttest(pushed.ref, { key: options.key, predicate: CYCLONEDX_FIXTURE, type: 'cyclonedx', ...legacy });
  await cosignAttest(pushed.ref, { key: options.key, predicate: await writeCustomPredicate(dirname(options.key.key)), type: 'custom', ...legacy });
  return pushed;
}
