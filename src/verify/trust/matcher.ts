import { VerifyError } from '../error.ts';
import type { Matcher } from './policy.ts';

/** Builds an exact or anchored-regexp matcher; exactly one of the two must be given. */
export function toMatcher(field: string, exact: string | undefined, pattern: string | undefined): Matcher {
  if (exact !== undefined && pattern !== undefined) {
    throw new VerifyError('TRUST_CONFIG_INVALID', `${field}: give either the exact value or the _regexp form, not both`);
  }
  if (exact !== undefined) {
    if (typeof exact !== 'string' || exact === '') {
      throw new VerifyError('TRUST_CONFIG_INVALID', `${field}: must be a non-empty string`);
    }
    return { $case: 'exact', value: exact };
  }
  if (pattern !== undefined) {
    if (typeof pattern !== 'string' || pattern === '') {
      throw new VerifyError('TRUST_CONFIG_INVALID', `${field}_regexp: must be a non-empty string`);
    }
    return { $case: 'regexp', source: pattern, regexp: compileAnchored(`${field}_regexp`, pattern) };
  }
  throw new VerifyError('TRUST_CONFIG_INVALID', `${field}: required (set ${field} for an exact value or ${field}_regexp for a pattern)`);
}

/** Compiles a pattern so that it must match the whole value: `^(?:pattern)$`. */
export function compileAnchored(field: string, pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (err) {
    throw new VerifyError('TRUST_CONFIG_INVALID', `${field}: ${JSON.stringify(pattern)} is not a valid regular expression; fix the pattern`, { cause: err });
  }
}

export function matches(m: Matcher, value: string | undefined): boolean {
  if (value === undefined) return false;
  switch (m.$case) {
    case 'exact':
      return m.value === value;
    case 'regexp':
      return m.regexp.test(value);
  }
}

export function describeMatcher(m: Matcher): string {
  switch (m.$case) {
    case 'exact':
      return JSON.stringify(m.value);
    case 'regexp':
      return `/^(?:${m.source})$/`;
  }
}
