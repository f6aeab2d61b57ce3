/**
 * The evaluation engine's public shape (issue 2 implements it; the server,
 * bundle lifecycle and CLI consume it).
 */

export interface BundleManifest {
  revision: string;
  roots: string[];
  wasm: Array<{ entrypoint: string; module: string; annotations?: unknown[] }>;
  rego_version?: number;
  metadata?: Record<string, unknown>;
}

/** `defined: false` is OPA's "undefined document" (the API answers `200 {}`). */
export type EvaluationResult = { defined: true; result: unknown } | { defined: false };

export interface LoadedBundle {
  /** the bundle's configured name (`bundles:` key), "default" for the embedded one */
  readonly name: string;
  readonly revision: string;
  readonly manifest: BundleManifest;
  /** entrypoint names compiled into policy.wasm, e.g. `wasm/sbom`, `wasm/sbom/allow` */
  readonly entrypoints: readonly string[];
  /** builtins the wasm module needs (all checked available at load time) */
  readonly builtins: readonly string[];
  /** merged data documents of the bundle */
  readonly data: unknown;
  /** sha256 of the bundle bytes, for cache keys and status */
  readonly digest: string;
  /**
   * Evaluates a slash path (`wasm/sbom`, `wasm/sbom/deny`, a path inside an
   * entrypoint's result, or a path into the bundle's data). Set results come
   * back sorted as OPA sorts them. Throws EngineError(EVAL_ERROR) on guest errors.
   */
  evaluate(path: string, input: unknown): EvaluationResult;
  /** Evaluates several paths on one parse of the input (the decision path asks for `allow` and `deny` together). */
  evaluateMany?(paths: readonly string[], input: unknown): EvaluationResult[];
}
