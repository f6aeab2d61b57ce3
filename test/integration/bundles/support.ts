import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appendToTarGz } from '../../../src/policy/bundles/tar.ts';
import { requireTool } from '../../support/tools.ts';

export const execFileAsync = promisify(execFile);
export const REPO = join(import.meta.dirname, '..', '..', '..');
export const FIXTURES = join(REPO, 'test', 'fixtures', 'bundles');

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `wasmgate-bundles-${prefix}-`));
}

export interface BuildOptions {
  /** fixture directory name under test/fixtures/bundles */
  fixture: string;
  revision: string;
  out: string;
  entrypoints?: string[];
  /** `opa build --signing-key` (a PEM file or HMAC secret) */
  signingKey?: string;
  signingAlg?: string;
  /** append the fixture's tests/*.json after opa build (not with signingKey: they would be unsigned) */
  selftests?: boolean;
}

/** Builds a fixture bundle with the real `opa build -t wasm -b`. */
export async function opaBuild(o: BuildOptions): Promise<Uint8Array> {
  const opa = requireTool('opa');
  const args = ['build', '-t', 'wasm', '-b', o.fixture, ...(o.entrypoints ?? ['swap']).flatMap((e) => ['-e', e]), '-r', o.revision, '-o', o.out, '--ignore', 'tests'];
  if (o.signingKey !== undefined) args.push('--signing-key', o.signingKey, '--signing-alg', o.signingAlg ?? 'RS256');
  await execFileAsync(opa, args, { cwd: FIXTURES });
  let bytes: Uint8Array = await readFile(o.out);
  if (o.selftests === true) {
    const files = new Map<string, Uint8Array>();
    const dir = join(FIXTURES, o.fixture, 'tests');
    for (const n of (await readdir(dir)).sort()) files.set(`tests/${n}`, await readFile(join(dir, n)));
    bytes = appendToTarGz(bytes, files);
    await writeFile(o.out, bytes);
  }
  return bytes;
}

/** A copy of a fixture directory (to sign with `opa sign` or tamper with). */
export async function copyFixture(fixture: string, to: string): Promise<string> {
  const dir = join(to, fixture);
  await cp(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

export interface KeyFiles {
  privateKey: string;
  publicKey: string;
  publicPem: string;
}

/** Writes a fresh key pair as PEM files (rsa → RS256/PS256, ec → ES256). */
export async function writeKeyPair(dir: string, kind: 'rsa' | 'ec', name: string): Promise<KeyFiles> {
  const { privateKey, publicKey } = kind === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const priv = join(dir, `${name}.key.pem`);
  const pub = join(dir, `${name}.pub.pem`);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  await writeFile(priv, privateKey.export({ type: kind === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' }) as string);
  await writeFile(pub, publicPem);
  return { privateKey: priv, publicKey: pub, publicPem };
}

/** Resolves on the next activation event (or rejects after `ms`). */
export function nextActivation(manager: { onActivate(l: (e: { name: string; bundle: { revision: string } }) => void): () => void }, match: (revision: string) => boolean, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no activation within ${ms} ms`));
    }, ms);
    const off = manager.onActivate((e) => {
      if (!match(e.bundle.revision)) return;
      clearTimeout(timer);
      off();
      resolve(e.bundle.revision);
    });
  });
}
