/**
 * Maven versions (OSV ecosystem `Maven`, purl type `maven`): the ordering of
 * Maven's `ComparableVersion`, as the POM reference's "Version Order
 * Specification" describes it.
 *
 * - The lower-cased text is split into items at `.`, at `-` and at every
 *   digit↔letter transition (a transition acts like `-`); an empty item is 0.
 *   A `-` (or a transition) opens a nested list, so what follows it weighs less
 *   than anything after a `.`. A qualifier always heads a nested list, so
 *   `.qualifier` = `-qualifier` as the specification says (Maven itself does this
 *   only for a trailing qualifier; doing it everywhere, and for a leading one,
 *   keeps the order transitive, which Maven's is not on odd strings: MNG-5568).
 * - Numbers compare numerically (any length). Qualifiers compare
 *   alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp
 *   < any other qualifier (those alphabetically); `a`, `b`, `m` directly followed
 *   by a digit mean alpha, beta, milestone.
 * - Trailing "null" items (0, "", empty lists) are trimmed in every list, so
 *   `1.0.0` = `1` and `1-ga` = `1`; the shorter list is padded with nulls.
 *   Nulls before a trailing nested list are trimmed too (`1.0-alpha` = `1-alpha`).
 * - Between kinds: `.number` > `-list` > qualifier (so `1.1` > `1-1` > `1-sp`
 *   > `1.foo` = `1-foo`).
 */

const INT = 0;
const STR = 1;
const LIST = 2;

interface IntItem {
  readonly kind: typeof INT;
  /** decimal digits, no leading zeros ("0" for zero) */
  readonly digits: string;
}
interface StrItem {
  readonly kind: typeof STR;
  /** the qualifier after aliasing ("" for ga/final/release) */
  readonly value: string;
}
interface ListItem {
  readonly kind: typeof LIST;
  readonly items: Item[];
}
type Item = IntItem | StrItem | ListItem;

/** A parsed Maven version (a ComparableVersion item list). */
export interface MavenVersion {
  readonly root: ListItem;
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
const SHORT: Readonly<Record<string, string>> = { a: 'alpha', b: 'beta', m: 'milestone' };

function intItem(text: string): IntItem {
  const digits = text.replace(/^0+/u, '');
  return { kind: INT, digits: digits === '' ? '0' : digits };
}

function strItem(text: string, followedByDigit: boolean): StrItem {
  const expanded = followedByDigit && text.length === 1 ? SHORT[text] ?? text : text;
  return { kind: STR, value: ALIASES[expanded] ?? expanded };
}

function isNull(item: Item): boolean {
  if (item.kind === INT) return item.digits === '0';
  if (item.kind === STR) return item.value === '';
  return item.items.length === 0;
}

// Removes trailing null items; a nested list does not stop the walk, so `1.0-alpha` = `1-alpha`
// (Maven's normalize()).
function normalize(list: ListItem): void {
  const items = list.items;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as Item;
    if (isNull(item)) items.splice(i, 1);
    else if (item.kind !== LIST) break;
  }
  // A nested list holding only a list (what `-ga-rc` leaves once "" is trimmed) is that list: `1-ga-rc` = `1-rc`.
  const last = items[items.length - 1];
  if (last?.kind === LIST && last.items.length === 1 && last.items[0]?.kind === LIST) items[items.length - 1] = last.items[0];
}

function isAsciiDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Parses a Maven version; null only for empty text (Maven orders any other string). */
export function parseMaven(text: string): MavenVersion | null {
  const version = text.trim().toLowerCase();
  if (version === '') return null;
  const root: ListItem = { kind: LIST, items: [] };
  let list = root;
  const lists: ListItem[] = [root];
  const open = (): void => {
    const next: ListItem = { kind: LIST, items: [] };
    list.items.push(next);
    list = next;
    lists.push(next);
  };
  const token = (digit: boolean, s: string, followedByDigit: boolean): Item => (digit ? intItem(s) : strItem(s, followedByDigit));
  let digit = false;
  let start = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version[i] as string;
    if (c === '.' || c === '-') {
      if (i === start) list.items.push(intItem('0'));
      else {
        if (!digit && (list === root || list.items.length > 0)) open(); // a qualifier heads a nested list
        list.items.push(token(digit, version.slice(start, i), false));
      }
      start = i + 1;
      if (c === '-') open();
    } else if (isAsciiDigit(c)) {
      if (!digit && i > start) {
        if (list === root || list.items.length > 0) open(); // a qualifier heads a nested list
        list.items.push(strItem(version.slice(start, i), true));
        start = i;
        open();
      }
      digit = true;
    } else {
      if (digit && i > start) {
        list.items.push(intItem(version.slice(start, i)));
        start = i;
        open();
      }
      digit = false;
    }
  }
  if (version.length > start) {
    if (!digit && (list === root || list.items.length > 0)) open(); // a qualifier heads a nested list
    list.items.push(token(digit, version.slice(start), false));
  }
  for (let i = lists.length - 1; i >= 0; i--) normalize(lists[i] as ListItem);
  return { root };
}

function qualifierKey(value: string): string {
  const i = QUALIFIERS.indexOf(value);
  return i >= 0 ? String(i) : `${QUALIFIERS.length}-${value}`;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareDigits(a: string, b: string): number {
  return a.length !== b.length ? Math.sign(a.length - b.length) : compareStrings(a, b);
}

// Item.compareTo(other), where null stands for the padding "null" item.
function compareItem(a: Item, b: Item | null): number {
  switch (a.kind) {
    case INT:
      if (b === null) return a.digits === '0' ? 0 : 1;
      return b.kind === INT ? compareDigits(a.digits, b.digits) : 1; // 1.1 > 1-sp, 1.1 > 1-1
    case STR:
      if (b === null) return compareStrings(qualifierKey(a.value), RELEASE_INDEX);
      return b.kind === STR ? compareStrings(qualifierKey(a.value), qualifierKey(b.value)) : -1; // 1.any < 1.1, 1.any < 1-1
    case LIST:
      if (b === null) {
        for (const item of a.items) {
          const r = compareItem(item, null);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (b.kind === INT) return -1; // 1-1 < 1.0.x
      if (b.kind === STR) return 1; // 1-1 > 1-sp
      return compareLists(a.items, b.items);
  }
}

function compareLists(a: readonly Item[], b: readonly Item[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const l = a[i];
    const r = b[i];
    const result = l === undefined ? (r === undefined ? 0 : -compareItem(r, null)) : compareItem(l, r ?? null);
    if (result !== 0) return result;
  }
  return 0;
}

/** Orders two Maven versions: negative, zero or positive. */
export function compareMaven(a: MavenVersion, b: MavenVersion): number {
  return compareLists(a.root.items, b.root.items);
}

