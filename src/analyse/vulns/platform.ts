import type { PlatformRestriction } from './prepare.ts';

/**
 * The platform a scan is for. An advisory restricted by `affects.os` applies only
 * when its list names one of `os`; one restricted by `affects.arch` only when its
 * list names one of `arch`. `'any'` applies every advisory (host lockfiles).
 */
export type PlatformRule = { readonly os: readonly string[]; readonly arch: readonly string[] } | 'any';

/**
 * The default: WebAssembly targets (wasm32/wasm64; Rust target OSes `wasi`,
 * `unknown`, `emscripten`, `none`). A Windows-only or Linux-only advisory cannot
 * affect code compiled for wasm, so it is reported as not applicable.
 */
export const WASM_PLATFORM: PlatformRule = Object.freeze({
  os: Object.freeze(['wasi', 'unknown', 'emscripten', 'none']),
  arch: Object.freeze(['wasm32', 'wasm64']),
});

/** Null when the advisory applies on this platform, else the reason it does not. */
export function platformExclusion(restriction: PlatformRestriction | null, rule: PlatformRule): string | null {
  if (restriction === null || rule === 'any') return null;
  if (restriction.os.length > 0 && !restriction.os.some((o) => rule.os.includes(o))) {
    return `affects only os ${restriction.os.join(', ')}`;
  }
  if (restriction.arch.length > 0 && !restriction.arch.some((a) => rule.arch.includes(a))) {
    return `affects only arch ${restriction.arch.join(', ')}`;
  }
  return null;
}
