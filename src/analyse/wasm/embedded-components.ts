import type { EmbeddedDependency } from '../../contract/input-v1.ts';
import { componentsFromEmbedded } from '../sbom/index.ts';

/** A package the vulnerability matcher can look up (the SBOM Component shape, with a purl). */
export interface EmbeddedComponent {
  name: string;
  version: string;
  purl: string;
  ecosystem: 'crates.io';
}

/**
 * The crates.io packages a module embeds (cargo-auditable `.dep-v0`), as
 * purl-addressed components for OSV matching; git, local and other sources
 * have no advisory ecosystem and are left out (use `componentsFromEmbedded`
 * from analyse/sbom to keep them as unmatched entries). Deduplicated by purl.
 */
export function embeddedDependenciesToComponents(deps: readonly EmbeddedDependency[] | null | undefined): EmbeddedComponent[] {
  if (!deps) return [];
  const seen = new Set<string>();
  const out: EmbeddedComponent[] = [];
  for (const c of componentsFromEmbedded(deps)) {
    if (c.purl === null || c.ecosystem !== 'crates.io' || seen.has(c.purl)) continue;
    seen.add(c.purl);
    out.push({ name: c.name, version: c.version, purl: c.purl, ecosystem: 'crates.io' });
  }
  return out;
}
