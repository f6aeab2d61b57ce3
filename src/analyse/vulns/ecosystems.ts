/**
 * purl types ↔ OSV ecosystems, and the package-name normalisation each
 * ecosystem's registry applies (so `Foo_Bar` on PyPI finds `foo-bar`).
 */

const PURL_TO_OSV: Readonly<Record<string, string>> = {
  cargo: 'crates.io',
  npm: 'npm',
  pypi: 'PyPI',
  golang: 'Go',
  maven: 'Maven',
  nuget: 'NuGet',
  gem: 'RubyGems',
  composer: 'Packagist',
  hex: 'Hex',
  pub: 'Pub',
  generic: 'generic',
};

/** OSV ecosystem for a purl type, or null when wasmgate does not map it. */
export function ecosystemForPurlType(type: string): string | null {
  return PURL_TO_OSV[type.toLowerCase()] ?? null;
}

/** The base OSV ecosystem (`Debian:11` → `Debian`). */
export function baseEcosystem(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}

/** The index key for a package name in an ecosystem. */
export function normalizePackageName(ecosystem: string, name: string): string {
  switch (ecosystem) {
    case 'PyPI':
      return name.toLowerCase().replace(/[-_.]+/g, '-'); // PEP 503
    case 'crates.io':
      return name.toLowerCase().replace(/_/g, '-'); // crates.io treats - and _ as one name
    case 'NuGet':
    case 'Packagist':
      return name.toLowerCase();
    default:
      return name;
  }
}
