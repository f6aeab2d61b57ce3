/**
 * SemVer 2.0 precedence, as used by Cargo (crates.io), npm and Go modules.
 * Build metadata (`0.14.7+wasi-0.2.4`, Go's `+incompatible`) is ignored for
 * ordering, as SemVer §10 requires; a `-rc` inside build metadata is not a
 * pre-release.
 */

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** pre-release identifiers; numbers for numeric identifiers */
  readonly pre: ReadonlyArray<string | number>;
}

const NUMERIC = /^(0|[1-9]\d*)$/;
const CORE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.+-]*)?$/;

/**
 * Parses a SemVer version. Lenient where the data is: a leading `v` (Go), a
 * missing minor/patch (`0` as an OSV `introduced` bound) and leading zeros in
 * numeric parts are accepted. Returns null when the text is not a version.
 */
export function parseSemver(text: string): SemVer | null {
  const m = CORE.exec(text.trim());
  if (m === null) return null;
  const major = Number(m[1]);
  const minor = m[2] === undefined ? 0 : Number(m[2]);
  const patch = m[3] === undefined ? 0 : Number(m[3]);
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor) || !Number.isSafeInteger(patch)) return null;
  const pre: Array<string | number> = [];
  if (m[4] !== undefined) {
    for (const id of m[4].split('.')) {
      if (id === '') return null;
      if (NUMERIC.test(id) || /^\d+$/.test(id)) {
        const n = Number(id);
        pre.push(Number.isSafeInteger(n) ? n : id);
      } else {
        pre.push(id);
      }
    }
  }
  return { major, minor, patch, pre };
}

function compareIdentifier(a: string | number, b: string | number): number {
  if (typeof a === 'number') {
    if (typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
    return -1; // numeric identifiers sort before alphanumeric ones
  }
  if (typeof b === 'number') return 1;
  return a === b ? 0 : a < b ? -1 : 1; // ASCII order
}

/** SemVer precedence: negative, zero or positive. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  const ap = a.pre;
  const bp = b.pre;
  if (ap.length === 0) return bp.length === 0 ? 0 : 1;
  if (bp.length === 0) return -1;
  const n = Math.min(ap.length, bp.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifier(ap[i] as string | number, bp[i] as string | number);
    if (c !== 0) return c;
  }
  return ap.length === bp.length ? 0 : ap.length < bp.length ? -1 : 1;
}
