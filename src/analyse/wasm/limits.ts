/** Bounds that keep inspection of hostile bytes cheap. All are overridable through `InspectOptions`. */
export const DEFAULT_MAX_WASM_BYTES = 64 * 1024 * 1024;
/** what `.dep-v0` may inflate to (cargo-auditable's own extractor allows 8 MiB) */
export const DEFAULT_MAX_DEP_V0_BYTES = 8 * 1024 * 1024;
/** imports + exports + custom sections, all levels together */
export const MAX_ENTRIES = 100_000;
/** packages in one `.dep-v0` list */
export const MAX_EMBEDDED_PACKAGES = 100_000;
/** components and core modules nested inside components */
export const MAX_NESTING = 16;
