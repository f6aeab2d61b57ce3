import type { EmbeddedDependency } from '../../contract/input-v1.ts';
import { embeddedSource, notFromCratesIoReason } from './cargo-source.ts';
import { cargoComponent } from './purl.ts';
import type { Component } from './types.ts';

/**
 * Components from a wasm module's embedded dependency list (cargo-auditable's
 * `.dep-v0` section: name, version, source). Only `crates.io` sources are
 * matchable; `git`, `local`, `registry` (alternate) and others are kept as unmatched.
 */
export function componentsFromEmbedded(deps: readonly EmbeddedDependency[]): Component[] {
  return deps.map((d) => {
    const { kind, where } = embeddedSource(d.source);
    return kind === 'crates.io'
      ? cargoComponent(d.name, d.version)
      : { name: d.name, version: d.version, purl: null, ecosystem: null, unmatched_reason: `embedded dependency (.dep-v0 source "${d.source}"), ${notFromCratesIoReason(kind, where)}` };
  });
}
