/** One package found in an SBOM, a Cargo.lock or a wasm module's embedded dependency list. */
export interface Component {
  /** the package name as its ecosystem spells it (`@scope/pkg` on npm, `github.com/x/y` on Go) */
  name: string;
  version: string;
  /** package URL; null when the package has no registry identity (git/path crates, purl-less entries) */
  purl: string | null;
  /** OSV ecosystem (`crates.io`, `npm`, `PyPI`, `Go`, `generic`, …); null when unknown */
  ecosystem: string | null;
  /** why the component cannot be matched by name; set whenever purl or ecosystem is null */
  unmatched_reason?: string;
}
