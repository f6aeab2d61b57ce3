import type { EmbeddedDependency } from '../../contract/input-v1.ts';
import { cargoComponent } from './purl.ts';
import type { Component } from './types.ts';

/**
 * Components from a wasm module's embedded dependency list (cargo-auditable's
 * `.dep-v0` section: name, version, source). Only `crates.io` sources are
 * matchable; `git`, `local`, `registry` (alternate) and others are kept as unmatched.
 */
export function componentsFromEmbedded(deps: readonly EmbeddedDependency[]): Component[] {
  return deps.map((d) =>
    d.source === 'crates.io' || d.source === 'CratesIo'
      ? cargoComponent(d.name, d.version)
      : { name: d.name, version: d.version, purl: null, ecosystem: null, unmatched_reason: `embedded dependency from source "${d.source}": not matched against crates.io advisories` },
  );
}
