import { createRequire } from 'node:module';
import { messageOf } from '../../common/error.ts';
import { engineError, type EvalErrorKind } from './error.ts';
import { wasmApi, type WasmInstance, type WasmMemory, type WasmMemoryDescriptor, type WasmModule } from './wasm-api.ts';

/** A host implementation of a builtin (arguments and result are JSON values). */
export type CustomBuiltin = (...args: unknown[]) => unknown;

/** The parts of the SDK's LoadedPolicy (opa-wasm 1.10) the engine relies on. */
interface SdkPolicy {
  mem: WasmMemory;
  wasmInstance: WasmInstance;
  minorVersion: number | undefined;
  dataAddr: number;
  dataHeapPtr: number;
  entrypoints: Record<string, number>;
  setData(data: ArrayBuffer): void;
}

interface SdkModule {
  loadPolicySync(wasm: WasmModule, memory: WasmMemoryDescriptor, builtins: Record<string, CustomBuiltin>): SdkPolicy;
}

interface PolicyExports {
  builtins(): number;
  opa_malloc(size: number): number;
  opa_json_parse(addr: number, len: number): number;
  opa_value_dump(addr: number): number;
  opa_heap_ptr_set(addr: number): void;
  opa_eval_ctx_new(): number;
  opa_eval_ctx_set_input(ctx: number, input: number): void;
  opa_eval_ctx_set_data(ctx: number, data: number): void;
  opa_eval_ctx_set_entrypoint(ctx: number, entrypoint: number): void;
  opa_eval_ctx_get_result(ctx: number): number;
  eval(ctx: number): number;
  opa_json_dump(addr: number): number;
  opa_eval(reserved: number, entrypoint: number, data: number, input: number, inputLen: number, heapPtr: number, format: number): number;
}

// The package's ESM entry only exports loadPolicy (async); the CJS build has the sync loader
// we need to recreate an instance inside a synchronous evaluate.
const sdk = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as SdkModule;

const PAGE = 65536;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface MemoryLimits {
  /** initial pages (64 KiB) of the guest memory; default 5 */
  initialPages: number;
  /** maximum pages of the guest memory; default 4096 (256 MiB) */
  maximumPages: number;
}

export const DEFAULT_MEMORY: MemoryLimits = { initialPages: 5, maximumPages: 4096 };

/** One instantiated policy with its data loaded; evaluation goes straight to `opa_eval`. */
export class PolicyInstance {
  readonly entrypoints: Readonly<Record<string, number>>;
  readonly builtins: readonly string[];
  private readonly sdkPolicy: SdkPolicy;
  private readonly exports: PolicyExports;

  constructor(module: WasmModule, dataJson: Uint8Array, memory: MemoryLimits, custom: Record<string, CustomBuiltin>) {
    let policy: SdkPolicy;
    try {
      policy = sdk.loadPolicySync(module, { initial: memory.initialPages, maximum: memory.maximumPages }, custom);
    } catch (err) {
      const msg = messageOf(err);
      if (/unsupported ABI version/.test(msg)) {
        throw engineError('WASM_ABI_UNSUPPORTED', `policy.wasm has ${msg}; wasmgate supports OPA wasm ABI 1.2+ (rebuild with a current opa)`, { cause: err });
      }
      throw engineError('WASM_INSTANTIATE_FAILED', `policy.wasm could not be instantiated: ${msg}`, { cause: err });
    }
    if (policy.minorVersion === undefined || policy.minorVersion < 2) {
      throw engineError('WASM_ABI_UNSUPPORTED', `policy.wasm uses OPA wasm ABI 1.${policy.minorVersion ?? '?'}; wasmgate needs ABI 1.2 or later (rebuild with a current opa)`);
    }
    this.sdkPolicy = policy;
    this.exports = policy.wasmInstance.exports as unknown as PolicyExports;
    this.builtins = Object.keys(this.dumpJson(this.exports.builtins()) as Record<string, number>);
    this.entrypoints = { ...policy.entrypoints };
    try {
      policy.setData(toArrayBuffer(dataJson));
    } catch (err) {
      throw engineError('BUNDLE_DATA_INVALID', `the bundle's data could not be loaded into the policy: ${messageOf(err)}`, { cause: err });
    }
  }

  /**
   * Evaluates entrypoint `id` on JSON input text (or undefined input) and returns
   * the guest's value text of the result set, e.g. `{{"result": true}}` or `{}`.
   */
  evalText(id: number, input: string | Uint8Array | undefined): string {
    const p = this.sdkPolicy;
    const base = p.dataHeapPtr;
    let len = 0;
    if (input !== undefined) {
      if (typeof input === 'string') {
        this.ensure(base + Buffer.byteLength(input, 'utf8'));
        len = encoder.encodeInto(input, new Uint8Array(p.mem.buffer, base)).written;
      } else {
        this.ensure(base + input.byteLength);
        new Uint8Array(p.mem.buffer).set(input, base);
        len = input.byteLength;
      }
    }
    const addr = this.exports.opa_eval(0, id, p.dataAddr, input === undefined ? 0 : base, len, base + len, 1);
    return this.readCString(addr);
  }

  /**
   * Evaluates several entrypoints on one input, parsing the input once (the ABI's
   * context calls instead of `opa_eval`, which parses the input on every call).
   */
  evalTextMany(ids: readonly number[], input: string | Uint8Array | undefined): string[] {
    const p = this.sdkPolicy;
    const x = this.exports;
    x.opa_heap_ptr_set(p.dataHeapPtr);
    let inputAddr = 0;
    if (input !== undefined) {
      const bytes = typeof input === 'string' ? encoder.encode(input) : input;
      const raw = x.opa_malloc(bytes.byteLength);
      new Uint8Array(p.mem.buffer).set(bytes, raw);
      inputAddr = x.opa_json_parse(raw, bytes.byteLength);
      if (inputAddr === 0) {
        throw engineError('EVAL_ERROR', 'the input is not valid JSON text', { details: { kind: 'eval_internal_error' } });
      }
    }
    return ids.map((id) => {
      const ctx = x.opa_eval_ctx_new();
      if (inputAddr !== 0) x.opa_eval_ctx_set_input(ctx, inputAddr);
      x.opa_eval_ctx_set_data(ctx, p.dataAddr);
      x.opa_eval_ctx_set_entrypoint(ctx, id);
      x.eval(ctx);
      return this.readCString(x.opa_value_dump(x.opa_eval_ctx_get_result(ctx)));
    });
  }

  private ensure(end: number): void {
    const mem = this.sdkPolicy.mem;
    const delta = end - mem.buffer.byteLength;
    if (delta > 0) mem.grow(Math.ceil(delta / PAGE));
  }

  private dumpJson(addr: number): unknown {
    return JSON.parse(this.readCString(this.exports.opa_json_dump(addr)));
  }

  private readCString(addr: number): string {
    const bytes = new Uint8Array(this.sdkPolicy.mem.buffer);
    const end = bytes.indexOf(0, addr);
    return decoder.decode(bytes.subarray(addr, end < 0 ? bytes.length : end));
  }
}

/** Compiles policy.wasm once and checks it is an OPA policy module before instantiation. */
export async function compilePolicy(wasm: Uint8Array): Promise<WasmModule> {
  let module: WasmModule;
  try {
    module = await wasmApi.compile(toArrayBuffer(wasm));
  } catch (err) {
    throw engineError('WASM_COMPILE_FAILED', `policy.wasm is not a valid WebAssembly module: ${messageOf(err)}`, { cause: err });
  }
  const names = new Set(wasmApi.Module.exports(module).map((e) => e.name));
  for (const required of ['opa_wasm_abi_version', 'opa_wasm_abi_minor_version', 'opa_eval', 'builtins', 'entrypoints', 'opa_json_dump']) {
    if (!names.has(required)) {
      throw engineError('WASM_ABI_UNSUPPORTED', `policy.wasm does not export ${required}: it is not an OPA policy module of ABI 1.2+ (build it with \`opa build -t wasm\`)`);
    }
  }
  return module;
}

/** Maps anything the guest or a builtin threw to OPA's inner error kind. */
export function evalErrorKind(err: unknown): EvalErrorKind {
  const msg = messageOf(err);
  if (/var assignment conflict|object insert conflict/.test(msg)) return 'eval_conflict_error';
  if (typeof err === 'string' || err instanceof RangeError) return 'eval_internal_error';
  return 'eval_builtin_error';
}

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  // (a Node Buffer's slice() is a view, so copy explicitly)
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
