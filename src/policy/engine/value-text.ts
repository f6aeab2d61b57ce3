import { OpaSet, compareStrings, compareValues } from './compare.ts';

/**
 * Parses the text the guest writes for `opa_eval(..., format = 1)` (OPA's value
 * syntax: JSON plus set literals `{a, b}` and `set()`, object keys of any type)
 * into plain JSON values as OPA's JSON API would return them: sets become arrays
 * sorted in OPA order, object keys are sorted, non-string keys are JSON-encoded.
 * Unlike the JSON dump (format 0), this keeps the set/array distinction, so set
 * results can be ordered exactly as OPA orders them.
 */
export function parseValueText(text: string): unknown {
  const p = new Parser(text);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i !== text.length) p.fail('trailing characters');
  return unwrapSets(v);
}

class Parser {
  readonly s: string;
  i = 0;
  constructor(s: string) {
    this.s = s;
  }

  fail(what: string): never {
    throw new SyntaxError(`cannot parse guest value at offset ${this.i}: ${what}`);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  value(): unknown {
    const s = this.s;
    const c = s[this.i];
    switch (c) {
      case '{': return this.braced();
      case '[': return this.array();
      case '"': return this.string();
      case 't': return this.literal('true', true);
      case 'f': return this.literal('false', false);
      case 'n': return this.literal('null', null);
      case 's': return this.literal('set()', new OpaSet([]));
      default: return this.number();
    }
  }

  literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail(`expected ${word}`);
    this.i += word.length;
    return v;
  }

  number(): number {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length && /[-+0-9.eE]/.test(s[this.i] as string)) this.i++;
    if (start === this.i) this.fail('unexpected character');
    const n = Number(s.slice(start, this.i));
    if (Number.isNaN(n)) this.fail('bad number');
    return n;
  }

  string(): string {
    const s = this.s;
    const start = this.i;
    this.i++;
    for (;;) {
      const q = s.indexOf('"', this.i);
      if (q < 0) this.fail('unterminated string');
      let back = 0;
      for (let k = q - 1; k > start && s[k] === '\\'; k--) back++;
      this.i = q + 1;
      if (back % 2 === 0) break;
    }
    const raw = s.slice(start, this.i);
    if (raw.indexOf('\\') < 0) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return this.fail('bad string escape');
    }
  }

  array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  /** `{}` (empty object), `{k: v, …}` (object) or `{a, b}` (set). */
  braced(): unknown {
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return {};
    }
    const first = this.value();
    this.ws();
    if (this.s[this.i] === ':') {
      const entries: Array<[unknown, unknown]> = [];
      let key = first;
      for (;;) {
        this.i++; // ':'
        this.ws();
        entries.push([key, this.value()]);
        this.ws();
        const c = this.s[this.i++];
        if (c === '}') break;
        if (c !== ',') this.fail("expected ',' or '}' in object");
        this.ws();
        key = this.value();
        this.ws();
        if (this.s[this.i] !== ':') this.fail("expected ':' in object");
      }
      return toObject(entries);
    }
    const items = [first];
    for (;;) {
      const c = this.s[this.i++];
      if (c === '}') break;
      if (c !== ',') this.fail("expected ',' or '}' in set");
      this.ws();
      items.push(this.value());
      this.ws();
    }
    return new OpaSet(items.sort(compareValues));
  }
}

function toObject(entries: Array<[unknown, unknown]>): Record<string, unknown> {
  const keyed = entries.map(([k, v]): [string, unknown] => [typeof k === 'string' ? k : JSON.stringify(unwrapSets(k)), v]);
  keyed.sort((a, b) => compareStrings(a[0], b[0]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of keyed) out[k] = v;
  return out;
}

/** Replaces every OpaSet (already sorted) by a plain array, recursively. */
function unwrapSets(v: unknown): unknown {
  if (v instanceof OpaSet) return v.items.map(unwrapSets);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = unwrapSets(v[i]);
    return v;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = unwrapSets(o[k]);
    return o;
  }
  return v;
}
