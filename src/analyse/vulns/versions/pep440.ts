/**
 * PEP 440 versions (PyPI): parsing with the specification's normalisation
 * rules and the ordering of the `packaging` reference implementation:
 * epoch, release (trailing zeros ignored), pre-release (a < b < rc), post-release,
 * dev-release, local version label.
 */

export interface Pep440 {
  readonly epoch: number;
  /** release segments with trailing zeros removed */
  readonly release: readonly number[];
  /** [phase 0=a 1=b 2=rc, number] */
  readonly pre: readonly [number, number] | null;
  readonly post: number | null;
  readonly dev: number | null;
  readonly local: ReadonlyArray<string | number> | null;
}

const PATTERN = new RegExp(
  '^\\s*v?' +
    '(?:(\\d+)!)?' + // epoch
    '(\\d+(?:\\.\\d+)*)' + // release
    '(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\\d+)?)?' + // pre
    '(?:-(\\d+)|[-_.]?(post|rev|r)[-_.]?(\\d+)?)?' + // post
    '(?:[-_.]?(dev)[-_.]?(\\d+)?)?' + // dev
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?' + // local
    '\\s*$',
  'i',
);

function phase(label: string): number {
  switch (label.toLowerCase()) {
    case 'a':
    case 'alpha':
      return 0;
    case 'b':
    case 'beta':
      return 1;
    default:
      return 2; // c, rc, pre, preview
  }
}

function int(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/** Parses a PEP 440 version; null when the text is not one. */
export function parsePep440(text: string): Pep440 | null {
  const m = PATTERN.exec(text);
  if (m === null) return null;
  const release = (m[2] as string).split('.').map((s) => int(s));
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  const pre: [number, number] | null = m[3] === undefined ? null : [phase(m[3]), int(m[4])];
  let post: number | null = null;
  if (m[5] !== undefined) post = int(m[5]);
  else if (m[6] !== undefined) post = int(m[7]);
  const dev = m[8] === undefined ? null : int(m[9]);
  const local =
    m[10] === undefined
      ? null
      : m[10]
          .toLowerCase()
          .split(/[-_.]/)
          .map((s) => (/^\d+$/.test(s) ? int(s) : s));
  return { epoch: int(m[1]), release, pre, post, dev, local };
}

function cmp(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

function compareRelease(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmp(a[i] ?? 0, b[i] ?? 0);
    if (c !== 0) return c;
  }
  return 0;
}

// The pre-release key: a dev-only release sorts before every pre-release of the
// same release (1.0.dev0 < 1.0a0); a final or post release sorts after them.
function preKey(v: Pep440): [number, number, number] {
  if (v.pre !== null) return [1, v.pre[0], v.pre[1]];
  if (v.post === null && v.dev !== null) return [0, 0, 0];
  return [2, 0, 0];
}

function compareLocal(a: Pep440['local'], b: Pep440['local']): number {
  if (a === null) return b === null ? 0 : -1;
  if (b === null) return 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    if (typeof x === 'number' && typeof y === 'number') {
      const c = cmp(x, y);
      if (c !== 0) return c;
    } else if (typeof x === 'number') {
      return 1; // numeric segments sort after alphanumeric ones
    } else if (typeof y === 'number') {
      return -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return cmp(a.length, b.length);
}

/** PEP 440 ordering: negative, zero or positive. */
export function comparePep440(a: Pep440, b: Pep440): number {
  let c = cmp(a.epoch, b.epoch);
  if (c !== 0) return c;
  c = compareRelease(a.release, b.release);
  if (c !== 0) return c;
  const pa = preKey(a);
  const pb = preKey(b);
  for (let i = 0; i < 3; i++) {
    c = cmp(pa[i] as number, pb[i] as number);
    if (c !== 0) return c;
  }
  c = cmp(a.post ?? -1, b.post ?? -1);
  if (c !== 0) return c;
  c = cmp(a.dev ?? Number.POSITIVE_INFINITY, b.dev ?? Number.POSITIVE_INFINITY);
  if (c !== 0) return c;
  return compareLocal(a.local, b.local);
}
