import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { messageOf } from '../../common/error.ts';
import { CliError } from '../error.ts';
import { bundleError } from '../../policy/bundles/error.ts';
import { readTarGz } from '../../policy/engine/archive.ts';
import { packTarGz, readBundleDir } from '../../policy/bundles/tar.ts';
import { SIGNATURES_FILE, signBundleFiles } from '../../policy/bundles/signatures.ts';

const MAX_BUNDLE_BYTES = 1024 * 1024 * 1024;

/** A bundle named on the command line: a .tar.gz or an unpacked directory. */
export interface BundleOnDisk {
  path: string;
  kind: 'file' | 'dir';
  files: Map<string, Uint8Array>;
  /** the .tar.gz bytes (packed in memory for a directory) */
  bytes: Uint8Array;
}

export async function readBundleArg(path: string): Promise<BundleOnDisk> {
  const abs = resolve(path);
  let isDir: boolean;
  try {
    isDir = (await stat(abs)).isDirectory();
  } catch (err) {
    throw new CliError('BUNDLE_NOT_FOUND', `cannot read bundle ${abs}: ${messageOf(err)}`, { cause: err });
  }
  if (isDir) {
    const files = await readBundleDir(abs, MAX_BUNDLE_BYTES);
    return { path: abs, kind: 'dir', files, bytes: packTarGz(files) };
  }
  const bytes = await readFile(abs);
  return { path: abs, kind: 'file', files: await readTarGz(bytes, MAX_BUNDLE_BYTES), bytes };
}

/** `--signing-key` / `--verification-key`: a file path when one exists, else the PEM text or HMAC secret itself (as opa). */
export async function readKeyArg(value: string): Promise<string> {
  return existsSync(value) ? readFile(value, 'utf8') : value;
}

export interface SignCommandOptions {
  bundle: string;
  signingKey: string;
  signingAlg?: string;
  keyId?: string;
  claimsFile?: string;
  scope?: string;
  /** a directory bundle: the directory .signatures.json goes to (default the bundle); a tar.gz: the signed output file (default in place) */
  out?: string;
}

/**
 * Signs a bundle the way `opa sign` does: every file listed with its SHA-256
 * digest (structured files hashed canonically) in one JWS in `.signatures.json`.
 * A directory gets the file written into it (or into `out`); a .tar.gz is
 * rewritten with the signature inside (to `out`, or in place).
 */
export async function signBundleCommand(o: SignCommandOptions): Promise<{ out: string; files: number }> {
  const bundle = await readBundleArg(o.bundle);
  let claims: Record<string, unknown> | undefined;
  if (o.claimsFile !== undefined) {
    try {
      const parsed: unknown = JSON.parse(await readFile(o.claimsFile, 'utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError('the claims file must hold a JSON object');
      claims = parsed as Record<string, unknown>;
    } catch (err) {
      throw bundleError('BUNDLE_SIGN_FAILED', `cannot read claims file ${o.claimsFile}: ${messageOf(err)}`, { cause: err });
    }
  }
  const files = new Map(bundle.files);
  files.delete(SIGNATURES_FILE);
  const text = await signBundleFiles(files, {
    key: await readKeyArg(o.signingKey),
    ...(o.signingAlg !== undefined && { algorithm: o.signingAlg }),
    ...(o.keyId !== undefined && { keyid: o.keyId }),
    ...(claims !== undefined && { claims }),
    ...(o.scope !== undefined && { scope: o.scope }),
  });
  if (bundle.kind === 'dir') {
    const dir = resolve(o.out ?? bundle.path);
    await mkdir(dir, { recursive: true });
    const out = join(dir, SIGNATURES_FILE);
    await writeFile(out, text);
    return { out, files: files.size };
  }
  files.set(SIGNATURES_FILE, new TextEncoder().encode(text));
  const out = resolve(o.out ?? bundle.path);
  const tmp = `${out}.tmp-${process.pid}`;
  await mkdir(dirname(out), { recursive: true });
  try {
    await writeFile(tmp, packTarGz(files));
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw bundleError('BUNDLE_SIGN_FAILED', `cannot write the signed bundle ${out}: ${messageOf(err)}`, { cause: err });
  }
  return { out, files: files.size - 1 };
}
