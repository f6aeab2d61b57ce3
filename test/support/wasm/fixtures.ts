import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { uleb } from './encode.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'wasm');

/** The real component (wasm-tools output, see test/fixtures/wasm/SOURCES.md). */
export function readComponentFixture(): Uint8Array {
  return new Uint8Array(readFileSync(join(root, 'component.wasm')));
}

/**
 * Builds test/fixtures/wasm/go-hello with `GOOS=wasip1 GOARCH=wasm go build`
 * (Go writes padded 5-byte LEB128 section sizes) into a temp dir keyed by the
 * sources' hash, so later runs reuse it.
 */
export function buildGoWasm(goBinary: string): Uint8Array {
  const src = join(root, 'go-hello');
  const hash = createHash('sha256')
    .update(readFileSync(join(src, 'go.mod')))
    .update(readFileSync(join(src, 'main.go')))
    .update(execFileSync(goBinary, ['version']))
    .digest('hex')
    .slice(0, 16);
  const dir = join(tmpdir(), `wasmgate-go-wasm-${hash}`);
  const out = join(dir, 'hello.wasm');
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const partial = join(dir, `hello.wasm.${process.pid}.tmp`);
    execFileSync(goBinary, ['build', '-trimpath', '-o', partial, '.'], {
      cwd: src,
      env: { ...process.env, GOOS: 'wasip1', GOARCH: 'wasm', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    renameSync(partial, out);
  }
  return new Uint8Array(readFileSync(out));
}


/** Appends a custom section to a module or component (custom sections may appear anywhere). */
export function appendCustomSection(module: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = Buffer.from(name, 'utf8');
  const body = Buffer.concat([Buffer.from(uleb(nameBytes.length)), nameBytes, Buffer.from(payload)]);
  return new Uint8Array(Buffer.concat([Buffer.from(module), Buffer.from([0x00, ...uleb(body.length)]), body]));
}

export interface AuditablePackage {
  name: string;
  version: string;
  source: string;
  kind?: 'runtime' | 'build';
  dependencies?: number[];
  root?: boolean;
}

/** cargo-auditable's `.dep-v0` payload: zlib-compressed JSON. */
export function depV0Payload(packages: AuditablePackage[]): Uint8Array {
  return new Uint8Array(deflateSync(JSON.stringify({ packages, format: 1 })));
}

/** Appends a `.dep-v0` section listing `packages`, as `cargo auditable` leaves it in a wasm output. */
export function withDepV0(module: Uint8Array, packages: AuditablePackage[]): Uint8Array {
  return appendCustomSection(module, '.dep-v0', depV0Payload(packages));
}

/** The smallest valid core module: the preamble alone. */
export const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
