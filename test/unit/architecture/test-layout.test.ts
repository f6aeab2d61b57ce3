/**
 * The test layout as a test (issue 18 item 7): unit tests mirror src/, so the test of a module is found from the
 * module's path and a test cannot outlive the module it tests. The rule (test/README.md):
 *   test/unit/<p>.test.ts or test/unit/<p>.<aspect>.test.ts tests src/<p>.ts;
 *   test/unit/architecture/ holds checks over the whole tree (layers, this file);
 *   test/unit holds nothing but tests (helpers live in test/support).
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [relative(ROOT, p).split(sep).join('/')];
  });
}

/** Whole-tree checks, exempt from the mirror rule. */
const TREE_CHECKS = 'test/unit/architecture/';
const TEST_NAME = /^test\/unit\/((?:[a-z0-9-]+\/)*[a-z0-9-]+)(?:\.[a-z0-9-]+)?\.test\.ts$/;

/** The src module a unit test file names, or null when its path follows no rule. */
function moduleUnderTest(testFile: string): string | null {
  const m = TEST_NAME.exec(testFile);
  return m ? `src/${m[1]!}.ts` : null;
}

/** Every unit-test path that breaks the rule, with why. */
function layoutProblems(testFiles: readonly string[], srcFiles: ReadonlySet<string>): string[] {
  return testFiles.flatMap((f) => {
    if (f.startsWith(TREE_CHECKS)) return f.endsWith('.test.ts') ? [] : [`${f}: only tests belong in ${TREE_CHECKS}`];
    if (!f.endsWith('.test.ts')) return [`${f}: not a test; helpers belong in test/support/`];
    const src = moduleUnderTest(f);
    if (src === null) return [`${f}: name is not test/unit/<src path>[.<aspect>].test.ts`];
    return srcFiles.has(src) ? [] : [`${f}: ${src} does not exist (move the test beside its module's path, or delete it with the module)`];
  });
}

describe('unit test layout', () => {
  const srcFiles = new Set(files(join(ROOT, 'src')));
  const unitFiles = files(join(ROOT, 'test', 'unit'));

  it('maps every unit test file to an existing src module', () => {
    expect(unitFiles.filter((f) => f.endsWith('.test.ts')).length).toBeGreaterThan(50);
    expect(layoutProblems(unitFiles, srcFiles)).toEqual([]);
  });

  it('names the module under test from the path, with an optional aspect', () => {
    expect(moduleUnderTest('test/unit/decide/pipeline.test.ts')).toBe('src/decide/pipeline.ts');
    expect(moduleUnderTest('test/unit/verify/verify-evidence.threat-model.test.ts')).toBe('src/verify/verify-evidence.ts');
    expect(moduleUnderTest('test/unit/analyse/vulns/versions/semver.test.ts')).toBe('src/analyse/vulns/versions/semver.ts');
    expect(moduleUnderTest('test/unit/decide/a.b.c.test.ts')).toBeNull();
  });

  it('can fail: reports a test of no module, a misnamed test and a helper left in test/unit', () => {
    const src = new Set(['src/decide/pipeline.ts']);
    expect(layoutProblems([
      'test/unit/decide/pipeline.test.ts',
      'test/unit/decide/pipeline.stages.test.ts',
      'test/unit/architecture/layers.test.ts',
      'test/unit/vulns/semver.test.ts',
      'test/unit/decide/Pipeline.test.ts',
      'test/unit/integrations/fake-decider.ts',
    ], src)).toEqual([
      'test/unit/vulns/semver.test.ts: src/vulns/semver.ts does not exist (move the test beside its module\'s path, or delete it with the module)',
      'test/unit/decide/Pipeline.test.ts: name is not test/unit/<src path>[.<aspect>].test.ts',
      'test/unit/integrations/fake-decider.ts: not a test; helpers belong in test/support/',
    ]);
  });
});
