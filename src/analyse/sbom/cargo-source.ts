/**
 * One rule for Rust crates, whatever the input (Cargo.lock `source`, an SBOM's `pkg:cargo`
 * purl qualifiers, cargo-auditable's `.dep-v0` `source`): a crate is matched against the
 * crates.io advisories (RustSec / OSV ecosystem `crates.io`) only when it comes from crates.io.
 * A git, path (workspace, local) or alternate-registry crate may share a name with a crates.io
 * crate but need not be its code, so it is listed as unmatched with the reason. This is
 * cargo-audit's rule too (it queries the database for crates.io-sourced packages only).
 */
export type CargoSourceKind = 'crates.io' | 'git' | 'path' | 'registry' | 'other';

const CRATES_IO_INDEXES = new Set([
  'https://github.com/rust-lang/crates.io-index',
  'https://github.com/rust-lang/crates.io-index/',
  'https://index.crates.io',
  'https://index.crates.io/',
]);

/** True for a URL of the crates.io index or its download host. */
function isCratesIoUrl(url: string): boolean {
  if (CRATES_IO_INDEXES.has(url)) return true;
  try {
    const host = new URL(url).hostname;
    return host === 'crates.io' || host === 'static.crates.io' || host === 'index.crates.io';
  } catch {
    return false;
  }
}

/** Cargo.lock `source` (absent for path and workspace crates). */
export function cargoLockSource(source: string | undefined): { kind: CargoSourceKind; where: string } {
  if (source === undefined) return { kind: 'path', where: '' };
  const plus = source.indexOf('+');
  const scheme = plus < 0 ? '' : source.slice(0, plus);
  const url = source.slice(plus + 1);
  if ((scheme === 'registry' || scheme === 'sparse') && isCratesIoUrl(url)) return { kind: 'crates.io', where: url };
  if (scheme === 'git') return { kind: 'git', where: source };
  if (scheme === 'registry' || scheme === 'sparse') return { kind: 'registry', where: url };
  if (scheme === 'path') return { kind: 'path', where: url };
  return { kind: 'other', where: source };
}

/**
 * A `pkg:cargo` purl's qualifiers, as cargo-cyclonedx writes them: `vcs_url` for git
 * crates, `download_url=file://…` for path crates, `repository_url` for other registries;
 * none for crates.io.
 */
export function cargoPurlSource(qualifiers: Readonly<Record<string, string>> | undefined): { kind: CargoSourceKind; where: string } {
  const q = qualifiers ?? {};
  const vcs = q['vcs_url'];
  if (vcs !== undefined) return { kind: 'git', where: vcs };
  const repository = q['repository_url'];
  if (repository !== undefined && !isCratesIoUrl(repository.replace(/^(registry|sparse)\+/, ''))) return { kind: 'registry', where: repository };
  const download = q['download_url'];
  if (download !== undefined) {
    if (download.startsWith('file:')) return { kind: 'path', where: download };
    if (!isCratesIoUrl(download)) return { kind: 'other', where: download };
  }
  return { kind: 'crates.io', where: '' };
}

/** cargo-auditable's `.dep-v0` source: `crates.io` (older: `CratesIo`), `git`, `local`, `registry`, … */
export function embeddedSource(source: string): { kind: CargoSourceKind; where: string } {
  if (source === 'crates.io' || source === 'CratesIo') return { kind: 'crates.io', where: '' };
  if (source === 'git') return { kind: 'git', where: '' };
  if (source === 'local') return { kind: 'path', where: '' };
  if (source === 'registry') return { kind: 'registry', where: '' };
  return { kind: 'other', where: source };
}

const NOT_MATCHED = 'not from crates.io, not matched against crates.io advisories';

/** The `unmatched` reason for a crate that is not from crates.io; the same words for every input. */
export function notFromCratesIoReason(kind: Exclude<CargoSourceKind, 'crates.io'>, where: string): string {
  const at = where === '' ? '' : ` ${where}`;
  switch (kind) {
    case 'git':
      return `git source${at}: ${NOT_MATCHED}`;
    case 'path':
      return `path or workspace crate${where === '' ? '' : ` (${where})`}: ${NOT_MATCHED}`;
    case 'registry':
      return `alternate registry source${at}: ${NOT_MATCHED}`;
    default:
      return `source${at === '' ? ' unknown' : at}: ${NOT_MATCHED}`;
  }
}
