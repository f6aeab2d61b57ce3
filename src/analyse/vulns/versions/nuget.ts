/**
 * NuGet versions (OSV ecosystem `NuGet`): SemVer 2.0 with an optional fourth
 * (revision) part, as NuGet's VersionComparer orders them. Missing parts are 0
 * (`1.0` = `1.0.0.0`), leading zeros are ignored, a release sorts above its
 * pre-releases, pre-release labels compare like SemVer's but case-insensitively
 * (`1.0.0-Beta` = `1.0.0-beta`), and build metadata is ignored.
 */

export interface NuGetVersion {
  /** major, minor, patch, revision */
  readonly release: readonly [number, number, number, number];
  /** pre-release labels, lower-cased; numbers for numeric labels */
  readonly pre: ReadonlyArray<string | number>;
}

const PATTERN = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]*)?$/;

/** Parses a NuGet version; null when the text is not one. */
export function parseNuGet(text: string): NuGetVersion | null {
  const m = PATTERN.exec(text.trim());
  if (m === null) return null;
  const part = (s: string | undefined): number => (s === undefined ? 0 : Number(s));
  const release: [number, number, number, number] = [part(m[1]), part(m[2]), part(m[3]), part(m[4])];
  if (!release.every((n) => Number.isSafeInteger(n))) return null;
  const pre = m[5] === undefined ? [] : m[5].split('.').map((id) => (/^\d+$/.test(id) && Number.isSafeInteger(Number(id)) ? Number(id) : id.toLowerCase()));
  return { release, pre };
}

function compareLabel(a: string | number, b: string | number): number {
  if (typeof a === 'number') return typeof b === 'number' ? Math.sign(a - b) : -1; // numeric labels sort first
  if (typeof b === 'number') return 1;
  return a === b ? 0 : a < b ? -1 : 1; // ordinal, both lower-cased
}

/** NuGet version order: negative, zero or positive. */
export function compareNuGet(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const d = (a.release[i] as number) - (b.release[i] as number);
    if (d !== 0) return Math.sign(d);
  }
  if (a.pre.length === 0 || b.pre.length === 0) return Math.sign(b.pre.length - a.pre.length) || 0;
  const n = Math.min(a.pre.length, b.pre.length);
  for (let i = 0; i < n; i++) {
    const c = compareLabel(a.pre[i] as string | number, b.pre[i] as string | number);
    if (c !== 0) return c;
  }
  return Math.sign(a.pre.length - b.pre.length) || 0;
}
