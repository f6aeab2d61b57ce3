import { compareMaven, parseMaven } from './maven.ts';
import { compareNuGet, parseNuGet } from './nuget.ts';
import { comparePep440, parsePep440 } from './pep440.ts';
import { compareSemver, parseSemver } from './semver.ts';

/** A version ordering: parse once (at database load or per component), compare many times. */
export interface VersionScheme<T = unknown> {
  readonly name: 'semver' | 'pep440' | 'maven' | 'nuget';
  parse(text: string): T | null;
  compare(a: T, b: T): number;
}

function erase<T>(scheme: VersionScheme<T>): VersionScheme {
  return scheme as unknown as VersionScheme;
}

export const SEMVER_SCHEME: VersionScheme = erase({ name: 'semver', parse: parseSemver, compare: compareSemver });
export const PEP440_SCHEME: VersionScheme = erase({ name: 'pep440', parse: parsePep440, compare: comparePep440 });
export const MAVEN_SCHEME: VersionScheme = erase({ name: 'maven', parse: parseMaven, compare: compareMaven });
export const NUGET_SCHEME: VersionScheme = erase({ name: 'nuget', parse: parseNuGet, compare: compareNuGet });

/**
 * The scheme for an OSV `ECOSYSTEM` range in `ecosystem`, or null when
 * wasmgate has no comparator for it (then only explicit `versions` lists match).
 * crates.io, npm and Go order by SemVer (Go's `+incompatible` is build metadata,
 * pseudo-versions are pre-releases, so SemVer precedence is Go's order);
 * Maven orders by Maven's ComparableVersion rules (maven.ts), NuGet by SemVer
 * with a fourth part and case-insensitive pre-release labels (nuget.ts).
 */
export function schemeForEcosystem(ecosystem: string): VersionScheme | null {
  switch (ecosystem) {
    case 'crates.io':
    case 'npm':
    case 'Go':
    case 'Hex':
    case 'Pub':
      return SEMVER_SCHEME;
    case 'PyPI':
      return PEP440_SCHEME;
    case 'Maven':
      return MAVEN_SCHEME;
    case 'NuGet':
      return NUGET_SCHEME;
    default:
      return null;
  }
}

export { compareSemver, parseSemver } from './semver.ts';
export type { SemVer } from './semver.ts';
export { comparePep440, parsePep440 } from './pep440.ts';
export type { Pep440 } from './pep440.ts';
export { compareMaven, parseMaven } from './maven.ts';
export type { MavenVersion } from './maven.ts';
export { compareNuGet, parseNuGet } from './nuget.ts';
export type { NuGetVersion } from './nuget.ts';
