import { PackageURL } from 'packageurl-js';
import { ecosystemForPurlType } from '../vulns/ecosystems.ts';
import { cargoPurlSource, notFromCratesIoReason } from './cargo-source.ts';
import type { Component } from './types.ts';

/** The ecosystem's own package name for a purl (npm `@scope/x`, Go `host/path/mod`, Maven `group:artifact`). */
function packageName(p: PackageURL): string {
  const ns = p.namespace ?? '';
  if (ns === '') return p.name;
  switch (p.type) {
    case 'maven':
      return `${ns}:${p.name}`;
    default:
      return `${ns}/${p.name}`;
  }
}

/**
 * Turns a purl (plus the version the SBOM states, used when the purl has none)
 * into a component. An unparseable purl or an unmapped type gives a component
 * with an `unmatched_reason`, never an exception: one bad entry must not hide the rest.
 */
export function componentFromPurl(purl: string, fallbackName: string, fallbackVersion: string): Component {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl);
  } catch {
    return { name: fallbackName, version: fallbackVersion, purl, ecosystem: null, unmatched_reason: `unparseable purl ${purl}` };
  }
  const version = p.version ?? fallbackVersion;
  const ecosystem = ecosystemForPurlType(p.type);
  const name = packageName(p);
  if (ecosystem === null) {
    return { name, version, purl, ecosystem: null, unmatched_reason: `purl type "${p.type}" is not matched by wasmgate` };
  }
  if (version === '') return { name, version, purl, ecosystem, unmatched_reason: 'no version' };
  if (p.type === 'cargo') {
    // the one rule for crates (cargo-source.ts): a git, path or other-registry crate is not a crates.io crate
    const { kind, where } = cargoPurlSource(p.qualifiers as Record<string, string> | undefined);
    if (kind !== 'crates.io') return { name, version, purl, ecosystem: null, unmatched_reason: notFromCratesIoReason(kind, where) };
  }
  return { name, version, purl, ecosystem };
}

/** A crates.io component (`pkg:cargo/name@version`). */
export function cargoComponent(name: string, version: string): Component {
  return { name, version, purl: new PackageURL('cargo', undefined, name, version, undefined, undefined).toString(), ecosystem: 'crates.io' };
}
