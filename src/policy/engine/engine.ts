import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { messageOf } from '../../common/error.ts';
import { packagePath } from '../../common/paths.ts';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, readTarGz } from './archive.ts';
import { availableBuiltins } from './builtins.ts';
import { normalisePath, toBundleContents } from './bundle-files.ts';
import { EngineError, engineError } from './error.ts';
import { DEFAULT_MEMORY, PolicyInstance, compilePolicy, evalErrorKind, type CustomBuiltin, type MemoryLimits } from './instance.ts';
import type { BundleManifest, EvaluationResult, LoadedBundle } from './types.ts';
import { parseValueText } from './value-text.ts';
import { importedMemoryMinPages, type WasmModule } from './wasm-api.ts';
import { isRecord as isObject } from '../../common/is-record.ts';

export interface LoadBundleOptions {
  /** the bundle's configured name; default "default" */
  name?: string;
  /** bound on the decompressed size of the whole bundle; default 128 MiB */
  maxDecompressedBytes?: number;
  /** entrypoints the bundle must provide (BUNDLE_ENTRYPOINT_MISSING otherwise); default none */
  requiredEntrypoints?: readonly string[];
  /** host builtins beyond the SDK's (sprintf, json.is_valid, yaml.*, regex.split) */
  customBuiltins?: Readonly<Record<string, CustomBuiltin>>;
  /** guest memory bounds in 64 KiB pages; default 5 initial, 4096 (256 MiB) maximum */
  memory?: Partial<MemoryLimits>;
}

/** A loaded bundle: the engine's LoadedBundle plus a raw-JSON evaluation entry. */
export interface WasmBundle extends LoadedBundle {
  /** Same as evaluate, with the input already serialised as JSON text (skips JSON.stringify). */
  evaluateJson(path: string, inputJson: string | Uint8Array | undefined): EvaluationResult;
  /**
   * Evaluates several paths on one input, which the guest parses once: cheaper than
   * one evaluate per path for large inputs (e.g. `['wasm/sbom/allow', 'wasm/sbom/deny']`).
   */
  evaluateMany(paths: readonly string[], input: unknown): EvaluationResult[];
  /** evaluateMany with the input already serialised as JSON text. */
  evaluateManyJson(paths: readonly string[], inputJson: string | Uint8Array | undefined): EvaluationResult[];
}

/**
 * What another thread needs to evaluate the same bundle: the compiled module (shared, not recompiled), the data
 * as JSON bytes, the memory bounds and the metadata. Structured-cloneable (postMessage, worker pools).
 */
export interface BundleSpec {
  name: string;
  digest: string;
  manifest: BundleManifest;
  module: WasmModule;
  dataJson: Uint8Array;
  memory: MemoryLimits;
  entrypoints: string[];
}

type Plan =
  | { kind: 'entry'; id: number; rest: string[] }
  | { kind: 'data'; segs: string[] }
  | { kind: 'compose'; segs: string[]; children: Array<{ id: number; rel: string[] }> };

const MAX_PLANS = 256;

class Bundle implements WasmBundle {
  readonly name: string;
  readonly revision: string;
  readonly manifest: BundleManifest;
  readonly entrypoints: readonly string[];
  readonly builtins: readonly string[];
  readonly data: unknown;
  readonly digest: string;
  private readonly module: WasmModule;
  private readonly dataJson: Uint8Array;
  private readonly memory: MemoryLimits;
  private readonly custom: Record<string, CustomBuiltin>;
  private readonly ids: ReadonlyMap<string, number>;
  private readonly plans = new Map<string, Plan>();
  private instance: PolicyInstance | undefined;

  constructor(init: {
    name: string; digest: string; manifest: BundleManifest; data: Record<string, unknown>; dataJson: Uint8Array;
    module: WasmModule; instance: PolicyInstance; entrypoints: string[]; memory: MemoryLimits; custom: Record<string, CustomBuiltin>;
  }) {
    this.name = init.name;
    this.digest = init.digest;
    this.manifest = init.manifest;
    this.revision = init.manifest.revision;
    this.data = deepFreeze(init.data);
    this.dataJson = init.dataJson;
    this.module = init.module;
    this.instance = init.instance;
    this.memory = init.memory;
    this.custom = init.custom;
    this.entrypoints = Object.freeze([...init.entrypoints]);
    this.builtins = Object.freeze([...init.instance.builtins]);
    this.ids = new Map(init.entrypoints.map((e) => [e, init.instance.entrypoints[e] as number]));
  }

  evaluate(path: string, input: unknown): EvaluationResult {
    return this.evaluateJson(path, input === undefined ? undefined : (JSON.stringify(input) as string | undefined));
  }

  evaluateJson(path: string, inputJson: string | Uint8Array | undefined): EvaluationResult {
    return this.resolve(this.plan(path), (id) => this.run(id, inputJson, path));
  }

  evaluateMany(paths: readonly string[], input: unknown): EvaluationResult[] {
    return this.evaluateManyJson(paths, input === undefined ? undefined : (JSON.stringify(input) as string | undefined));
  }

  evaluateManyJson(paths: readonly string[], json: string | Uint8Array | undefined): EvaluationResult[] {
    const plans = paths.map((p) => this.plan(p));
    const ids = new Set<number>();
    for (const plan of plans) {
      if (plan.kind === 'entry') ids.add(plan.id);
      else if (plan.kind === 'compose') for (const c of plan.children) ids.add(c.id);
    }
    const order = [...ids];
    const texts = order.length === 0 ? [] : this.guard(paths.join(', '), () => this.live().evalTextMany(order, json));
    const results = new Map(order.map((id, i) => [id, toResult(texts[i] as string)]));
    return plans.map((plan) => this.resolve(plan, (id) => results.get(id) as EvaluationResult));
  }

  /** The spec another thread can rebuild this bundle from; null when it uses host builtins (functions do not cross threads). */
  spec(): BundleSpec | null {
    if (Object.keys(this.custom).length > 0) return null;
    return {
      name: this.name, digest: this.digest, manifest: this.manifest, module: this.module, dataJson: this.dataJson,
      memory: this.memory, entrypoints: [...this.entrypoints],
    };
  }

  /** A new bundle on the same compiled module with `data` (and manifest/digest) replaced; see withData. */
  withData(data: Record<string, unknown>, init: { manifest: BundleManifest; digest: string }): WasmBundle {
    const dataJson = new TextEncoder().encode(JSON.stringify(data));
    const instance = new PolicyInstance(this.module, dataJson, this.memory, this.custom);
    return new Bundle({
      name: this.name, digest: init.digest, manifest: init.manifest, data, dataJson, module: this.module, instance,
      entrypoints: [...this.entrypoints], memory: this.memory, custom: this.custom,
    });
  }

  private resolve(plan: Plan, result: (id: number) => EvaluationResult): EvaluationResult {
    switch (plan.kind) {
      case 'entry': {
        const r = result(plan.id);
        if (!r.defined) return r;
        return plan.rest.length === 0 ? r : walk(r.result, plan.rest);
      }
      case 'data':
        return walk(this.data, plan.segs);
      case 'compose': {
        const base = walk(this.data, plan.segs);
        const out: Record<string, unknown> = base.defined && isObject(base.result) ? structuredClone(base.result) : {};
        for (const child of plan.children) {
          const r = result(child.id);
          if (r.defined) setAt(out, child.rel, r.result);
        }
        return { defined: true, result: out };
      }
    }
  }

  private live(): PolicyInstance {
    this.instance ??= new PolicyInstance(this.module, this.dataJson, this.memory, this.custom);
    return this.instance;
  }

  /** Runs a guest call; any failure becomes EVAL_ERROR and the instance is rebuilt on next use. */
  private guard<T>(path: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof EngineError && err.code !== 'EVAL_ERROR') throw err;
      // The guest may be in any state after a trap or a host exception: start afresh next time.
      this.instance = undefined;
      if (err instanceof EngineError) throw err;
      throw engineError('EVAL_ERROR', `evaluating ${path} in bundle ${this.name} failed: ${messageOf(err)}`, {
        cause: err,
        details: { path, kind: evalErrorKind(err), bundle: this.name },
      });
    }
  }

  private run(id: number, inputJson: string | Uint8Array | undefined, path: string): EvaluationResult {
    return toResult(this.guard(path, () => this.live().evalText(id, inputJson)));
  }

  private plan(path: string): Plan {
    let plan = this.plans.get(path);
    if (plan !== undefined) return plan;
    plan = this.makePlan(normalisePath(path));
    if (this.plans.size >= MAX_PLANS) this.plans.clear();
    this.plans.set(path, plan);
    return plan;
  }

  private makePlan(p: string): Plan {
    const segs = p === '' ? [] : p.split('/');
    for (let n = segs.length; n > 0; n--) {
      const id = this.ids.get(segs.slice(0, n).join('/'));
      if (id !== undefined) return { kind: 'entry', id, rest: segs.slice(n) };
    }
    const prefix = p === '' ? '' : `${p}/`;
    const below = this.entrypoints.filter((e) => e.startsWith(prefix));
    // Only the outermost entrypoints: an inner one is part of its ancestor's result.
    const outer = below.filter((e) => !below.some((o) => o !== e && e.startsWith(`${o}/`)));
    if (outer.length === 0) return { kind: 'data', segs };
    return {
      kind: 'compose',
      segs,
      children: outer.map((e) => ({ id: this.ids.get(e) as number, rel: e.slice(prefix.length).split('/') })),
    };
  }
}

/**
 * Loads a bundle (.tar.gz bytes): unpacks it safely, reads `.manifest`, data and
 * `policy.wasm`, compiles the module once, checks the ABI, the entrypoints and
 * that every builtin the module imports is available, and loads the data.
 * Every failure is an EngineError whose code names the problem.
 */
export async function loadBundle(bytes: Uint8Array, options: LoadBundleOptions = {}): Promise<WasmBundle> {
  const name = options.name ?? 'default';
  const files = await readTarGz(bytes, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
  const contents = toBundleContents(files);
  const module = await compilePolicy(contents.wasm);
  const memory: MemoryLimits = { ...DEFAULT_MEMORY, ...options.memory };
  // the module declares the least memory it can run with (its data segments); start there at least
  memory.initialPages = Math.max(memory.initialPages, importedMemoryMinPages(contents.wasm));
  if (memory.maximumPages < memory.initialPages) {
    throw engineError('WASM_INSTANTIATE_FAILED', `bundle ${name}: policy.wasm needs ${memory.initialPages} memory pages but the limit is ${memory.maximumPages}; raise the memory limit`);
  }
  const custom: Record<string, CustomBuiltin> = { ...options.customBuiltins };
  const dataJson = new TextEncoder().encode(JSON.stringify(contents.data));
  const instance = new PolicyInstance(module, dataJson, memory, custom);

  const available = availableBuiltins(Object.keys(custom));
  const missing = instance.builtins.filter((b) => !available.has(b));
  if (missing.length > 0) {
    throw engineError('BUILTIN_UNAVAILABLE', `bundle ${name}: policy.wasm needs builtin(s) ${missing.join(', ')} that the wasm engine cannot run; rewrite the policy without them (policies/capabilities.json lists what is allowed)`, { details: { missing } });
  }
  const compiled = new Set(Object.keys(instance.entrypoints));
  for (const e of contents.entrypoints) {
    if (!compiled.has(e)) {
      throw engineError('BUNDLE_ENTRYPOINT_MISSING', `bundle ${name}: .manifest declares entrypoint ${e} but policy.wasm does not provide it`);
    }
  }
  for (const e of options.requiredEntrypoints ?? []) {
    if (!contents.entrypoints.includes(normalisePath(e))) {
      throw engineError('BUNDLE_ENTRYPOINT_MISSING', `bundle ${name} lacks the required entrypoint ${e} (it has ${contents.entrypoints.join(', ')}); rebuild it with \`-e ${e}\``);
    }
  }
  return new Bundle({
    name,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    manifest: contents.manifest,
    data: contents.data,
    dataJson,
    module,
    instance,
    entrypoints: contents.entrypoints,
    memory,
    custom,
  });
}

/**
 * A bundle that evaluates the same compiled policy.wasm as `bundle` over new
 * data (a full setData on a fresh instance; `bundle` is left untouched, so
 * decisions running on it finish unchanged). Used for delta bundles. `data`
 * must not be mutated afterwards (it is frozen).
 */
export function withData(bundle: WasmBundle, data: Record<string, unknown>, init: { manifest: BundleManifest; digest: string }): WasmBundle {
  if (!(bundle instanceof Bundle)) {
    throw engineError('BUNDLE_MANIFEST_INVALID', `bundle ${bundle.name} was not loaded by loadBundle; cannot replace its data`);
  }
  return bundle.withData(data, init);
}

/** The spec of a bundle loaded here, for evaluation on another thread; null when it cannot be moved. */
export function bundleSpec(bundle: LoadedBundle): BundleSpec | null {
  return bundle instanceof Bundle ? bundle.spec() : null;
}

/** A bundle rebuilt from a spec (on a worker thread): a fresh instance of the same compiled module and data. */
export function bundleFromSpec(spec: BundleSpec): WasmBundle {
  const data = JSON.parse(new TextDecoder().decode(spec.dataJson)) as Record<string, unknown>;
  const instance = new PolicyInstance(spec.module, spec.dataJson, spec.memory, {});
  return new Bundle({
    name: spec.name, digest: spec.digest, manifest: spec.manifest, data, dataJson: spec.dataJson, module: spec.module, instance,
    entrypoints: spec.entrypoints, memory: spec.memory, custom: {},
  });
}

/** Reads and loads a bundle file. */
export async function loadBundleFile(path: string, options: LoadBundleOptions = {}): Promise<WasmBundle> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw engineError('BUNDLE_UNREADABLE', `cannot read bundle file ${path}: ${messageOf(err)}`, { cause: err });
  }
  return loadBundle(bytes, options);
}

/** Path of the shipped bundle, bundles/wasm-sbom.tar.gz (built by `wasmgate bundle build`). */
export function embeddedBundlePath(): string {
  return packagePath('bundles', 'wasm-sbom.tar.gz');
}

/** Decodes the guest's result set text: `{}`/`set()` is undefined, else its one `result`. */
function toResult(text: string): EvaluationResult {
  const rs = parseValueText(text);
  if (!Array.isArray(rs) || rs.length === 0) return { defined: false };
  const first = rs[0] as { result?: unknown };
  return 'result' in first ? { defined: true, result: first.result } : { defined: false };
}

function walk(value: unknown, segs: readonly string[]): EvaluationResult {
  let cur = value;
  for (const seg of segs) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg)) return { defined: false };
      cur = cur[Number(seg)];
    } else if (isObject(cur) && Object.hasOwn(cur, seg)) {
      cur = cur[seg];
    } else {
      return { defined: false };
    }
    if (cur === undefined) return { defined: false };
  }
  return { defined: true, result: cur };
}

function setAt(target: Record<string, unknown>, rel: readonly string[], value: unknown): void {
  let node = target;
  for (const seg of rel.slice(0, -1)) {
    const next = node[seg];
    node = isObject(next) ? next : (node[seg] = {}) as Record<string, unknown>;
  }
  node[rel[rel.length - 1] as string] = value;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as object)) deepFreeze(child);
  }
  return v;
}
