import { open, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { WasmgateError } from '../../common/error.ts';
import { CliError } from '../error.ts';
import { DEFAULT_MAX_WASM_BYTES, checkSize, formatWasmFacts, inspectWasm, inspectWasmLayer, type WasmFacts } from '../../analyse/wasm/index.ts';
import { createCollector } from '../../collect/index.ts';

/** named in the WASM_TOO_LARGE message: the way a user of this command raises the bound */
const MAX_BYTES_FLAG = '--max-bytes';

interface InspectFlags {
  json?: boolean;
  maxBytes?: string;
}

/**
 * `wasmgate inspect <file.wasm|ref> [--json]`: what a module says about itself
 * (kind, imports, exports, producers, embedded dependencies, custom sections).
 */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('Print what a WebAssembly module or component says about itself: imports, exports, producers, embedded dependencies (.dep-v0), custom sections.')
    .argument('<target>', 'a .wasm file, a registry reference (registry/repo:tag, …@sha256:…) or an OCI layout (oci:<dir>:<tag>)')
    .option('--json', 'print the facts as JSON (the input document\'s module.wasm)')
    .option('--max-bytes <n>', `refuse modules larger than this many bytes (default ${DEFAULT_MAX_WASM_BYTES})`)
    .action(async (target: string, flags: InspectFlags) => {
      const maxBytes = parseMaxBytes(flags.maxBytes);
      const bytes = await readFileTarget(target, maxBytes);
      const { facts, size } = bytes === undefined
        ? await inspectReference(target, maxBytes)
        : { facts: inspectWasm(bytes, { maxBytes, maxBytesSetting: MAX_BYTES_FLAG }), size: bytes.length };
      process.stdout.write(flags.json ? `${JSON.stringify(facts, null, 2)}\n` : formatWasmFacts(facts, size));
    });
}

function parseMaxBytes(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_MAX_WASM_BYTES;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new CliError('INSPECT_BAD_OPTION', `--max-bytes ${raw} is not a positive whole number of bytes`);
  }
  return n;
}

/** A reference: resolve it through the collector, then fetch the wasm layer by digest (size-bounded) and inspect it. */
async function inspectReference(ref: string, maxBytes: number): Promise<{ facts: WasmFacts; size: number }> {
  const collector = createCollector({ cache: false });
  try {
    const { module } = await collector.collect(ref);
    const facts = await inspectWasmLayer(collector.storeFor(module.repository), module, { maxBytes, maxBytesSetting: MAX_BYTES_FLAG });
    if (facts === null || module.wasmLayer === undefined) {
      throw new CliError('INSPECT_NO_WASM_LAYER', `${ref} (${module.digest}) has no wasm layer (layers: ${module.layers.map((l) => l.mediaType).join(', ') || 'none'})`);
    }
    return { facts, size: module.wasmLayer.size };
  } finally {
    await collector.close();
  }
}

/**
 * Reads a file after checking its size against the bound; undefined when no
 * such file exists and the target is not a `.wasm` path (then it is a reference).
 */
async function readFileTarget(target: string, maxBytes: number): Promise<Uint8Array | undefined> {
  let size: number;
  try {
    const st = await stat(target);
    if (!st.isFile()) throw new CliError('INSPECT_NOT_A_FILE', `${target} is not a regular file`);
    size = st.size;
  } catch (err) {
    if (WasmgateError.isWasmgateError(err)) throw err;
    if ((err as { code?: unknown }).code === 'ENOENT' && !target.endsWith('.wasm')) return undefined;
    throw new CliError('INSPECT_READ_FAILED', `cannot read ${target}: ${(err as Error).message}`, { cause: err });
  }
  checkSize(size, maxBytes, MAX_BYTES_FLAG);
  const handle = await open(target, 'r');
  try {
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(buf, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, read);
  } finally {
    await handle.close();
  }
}
