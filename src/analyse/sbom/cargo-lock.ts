import { parse as parseToml, TomlError } from 'smol-toml';
import { SbomError } from './error.ts';
import { cargoLockSource, notFromCratesIoReason } from './cargo-source.ts';
import { cargoComponent } from './purl.ts';
import type { Component } from './types.ts';
import { isRecord } from '../../common/is-record.ts';

/**
 * Parses a Cargo.lock (format v1–v4). crates.io packages become `pkg:cargo`
 * components; git, path (workspace) and alternate-registry packages are kept
 * with `purl: null` and an `unmatched_reason` (the one rule of cargo-source.ts,
 * shared with SBOM purls and `.dep-v0`).
 */
export function componentsFromCargoLock(text: string): Component[] {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const where = err instanceof TomlError ? ` at line ${err.line}, column ${err.column}` : '';
    throw new SbomError('CARGO_LOCK_INVALID', `Cargo.lock is not valid TOML${where}: regenerate it with cargo`, { cause: err });
  }
  const packages = doc['package'];
  if (packages === undefined) return [];
  if (!Array.isArray(packages)) {
    throw new SbomError('CARGO_LOCK_INVALID', 'Cargo.lock key "package" must be an array of tables ([[package]])', { details: { path: 'package' } });
  }
  const out: Component[] = [];
  packages.forEach((pkg: unknown, i: number) => {
    const path = `package[${i}]`;
    if (!isRecord(pkg) || typeof pkg['name'] !== 'string' || typeof pkg['version'] !== 'string') {
      throw new SbomError('CARGO_LOCK_INVALID', `Cargo.lock ${path} needs string "name" and "version"`, { details: { path } });
    }
    const name = pkg['name'];
    const version = pkg['version'];
    const source = typeof pkg['source'] === 'string' ? pkg['source'] : undefined;
    const { kind, where } = cargoLockSource(source);
    if (kind === 'crates.io') {
      out.push(cargoComponent(name, version));
    } else {
      out.push({ name, version, purl: null, ecosystem: null, unmatched_reason: notFromCratesIoReason(kind, where) });
    }
  });
  return out;
}

/** True when the text looks like a Cargo.lock (used to detect the input type by content). */
export function looksLikeCargoLock(text: string): boolean {
  return /^\s*\[\[package\]\]\s*$/m.test(text) && /^\s*name\s*=\s*"/m.test(text);
}
