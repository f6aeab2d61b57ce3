import { isDeepStrictEqual } from 'node:util';
import { messageOf } from '../../common/error.ts';
import type { LoadedBundle } from '../engine/types.ts';
import { bundleError } from './error.ts';
import { isRecord as isObject } from '../../common/is-record.ts';

/**
 * Bundle self-tests: decision cases shipped inside the bundle under `tests/`
 * (`tests/<name>.json`), run against the freshly loaded policy before it is
 * activated. OPA ignores these files when it loads the bundle; wasmgate refuses
 * a bundle whose self-tests fail. Format of one file (docs/bundles.md):
 *
 *   {"cases": [{"name": "unsigned module is denied",
 *               "path": "wasm/sbom",
 *               "input": {…},
 *               "expect": {"allow": false}}]}
 *
 * A file may also hold one case object or an array of cases. `expect` matches
 * as a subset: every key it names must be present with an equal value (objects
 * recursively; arrays and scalars exactly). `"undefined": true` instead of
 * `expect` asserts that the path is undefined for that input.
 */

export const SELFTEST_DIR = 'tests';

export interface SelfTestCase {
  /** `<file>#<index>` when not named */
  name: string;
  file: string;
  path: string;
  input: unknown;
  expect?: unknown;
  undefined?: boolean;
}

export interface SelfTestFailure {
  name: string;
  message: string;
}

export interface SelfTestReport {
  total: number;
  passed: number;
  failures: SelfTestFailure[];
}

/** True for the bundle files that hold self-test cases. */
export function isSelfTestFile(name: string): boolean {
  return name.startsWith(`${SELFTEST_DIR}/`) && name.endsWith('.json');
}

/** Reads every self-test case from a bundle's files; BUNDLE_SELFTEST_INVALID on a malformed file. */
export function parseSelfTests(files: ReadonlyMap<string, Uint8Array>): SelfTestCase[] {
  const cases: SelfTestCase[] = [];
  for (const file of [...files.keys()].filter(isSelfTestFile).sort()) {
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(files.get(file)));
    } catch (err) {
      throw bundleError('BUNDLE_SELFTEST_INVALID', `self-test file /${file} is not valid JSON: ${messageOf(err)}`, { cause: err });
    }
    const list = Array.isArray(doc) ? doc : isObject(doc) && Array.isArray(doc.cases) ? doc.cases : [doc];
    list.forEach((raw: unknown, i: number) => cases.push(toCase(raw, file, i)));
  }
  return cases;
}

function toCase(raw: unknown, file: string, i: number): SelfTestCase {
  const where = `self-test /${file} case ${i}`;
  if (!isObject(raw)) throw bundleError('BUNDLE_SELFTEST_INVALID', `${where} is not an object; write {"path": "wasm/sbom", "input": {…}, "expect": {…}}`);
  if (typeof raw.path !== 'string' || raw.path === '') throw bundleError('BUNDLE_SELFTEST_INVALID', `${where} needs a "path" such as "wasm/sbom"`);
  const hasExpect = Object.hasOwn(raw, 'expect');
  if (hasExpect === (raw.undefined === true)) {
    throw bundleError('BUNDLE_SELFTEST_INVALID', `${where} needs exactly one of "expect": <value> or "undefined": true`);
  }
  const c: SelfTestCase = { name: typeof raw.name === 'string' ? raw.name : `${file}#${i}`, file, path: raw.path, input: raw.input };
  if (hasExpect) c.expect = raw.expect;
  else c.undefined = true;
  return c;
}

/** Runs the cases on a loaded bundle; never throws for a failing case (see assertSelfTests). */
export function runSelfTests(bundle: LoadedBundle, cases: readonly SelfTestCase[]): SelfTestReport {
  const failures: SelfTestFailure[] = [];
  for (const c of cases) {
    try {
      const r = bundle.evaluate(c.path, c.input);
      if (c.undefined === true) {
        if (r.defined) failures.push({ name: c.name, message: `${c.path} should be undefined but is ${short(r.result)}` });
      } else if (!r.defined) {
        failures.push({ name: c.name, message: `${c.path} is undefined but ${short(c.expect)} was expected` });
      } else {
        const diff = subsetDiff(c.expect, r.result, c.path);
        if (diff !== undefined) failures.push({ name: c.name, message: diff });
      }
    } catch (err) {
      failures.push({ name: c.name, message: `evaluating ${c.path} failed: ${messageOf(err)}` });
    }
  }
  return { total: cases.length, passed: cases.length - failures.length, failures };
}

/** Throws BUNDLE_SELFTEST_FAILED naming the failed cases. */
export function assertSelfTests(report: SelfTestReport, bundleName: string): void {
  if (report.failures.length === 0) return;
  const list = report.failures.slice(0, 5).map((f) => `${f.name}: ${f.message}`).join('; ');
  throw bundleError('BUNDLE_SELFTEST_FAILED', `bundle ${bundleName}: ${report.failures.length} of ${report.total} self-test case(s) failed (${list}); fix the policy or its tests/ cases`, {
    details: { failures: report.failures },
  });
}

/** undefined when `actual` matches `expected` as a subset, else a message naming the first difference. */
export function subsetDiff(expected: unknown, actual: unknown, at: string): string | undefined {
  if (isObject(expected)) {
    if (!isObject(actual)) return `${at} is ${short(actual)}, expected an object`;
    for (const [k, v] of Object.entries(expected)) {
      if (!Object.hasOwn(actual, k)) return `${at}/${k} is missing, expected ${short(v)}`;
      const d = subsetDiff(v, actual[k], `${at}/${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return isDeepStrictEqual(expected, actual) ? undefined : `${at} is ${short(actual)}, expected ${short(expected)}`;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
