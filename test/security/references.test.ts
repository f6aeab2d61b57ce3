/**
 * One reference grammar (issue 21 item 5): the decision cache key, the fail-closed answer's digest and the API's
 * ref check all come from the parser the collector uses (src/resolve), so a cached answer is only ever served
 * for a reference that names the same directory or repository, and the API accepts exactly what the pipeline
 * can parse.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createDecisionCache, failClosed, withDecisionCache } from '../../src/decide/index.ts';
import type { DecisionRequest } from '../../src/decide/types.ts';
import { parseReference, repositoryName, type ModuleReference } from '../../src/resolve/index.ts';
import { createRefCheck } from '../../src/server/index.ts';
import { createFakeDecider } from '../support/fake-decider.ts';
import { attackLog, problems } from './support/attacks.ts';

const log = attackLog('security-references', 'Security: reference spellings and cache keys (issue 21 item 5)', 'test/security/references.test.ts');
afterAll(() => log.flush());

/** The collector's parser, as a test oracle. */
function tryParseReference(ref: string): ModuleReference | null {
  try {
    return parseReference(ref);
  } catch {
    return null;
  }
}

const D = `sha256:${'cd'.repeat(32)}`;
const versions = { bundleRevision: 'rev-1', trustHash: 't', dbVersion: 'd' };

/** What the pipeline would answer: allow only for the store the collector reads (directory or repository). */
const freshAnswer = (ref: string): boolean => {
  const parsed = tryParseReference(ref);
  return parsed !== null && repositoryName(parsed).endsWith(':x');
};

function cachedDecider(): { decide(ref: string): Promise<boolean> } {
  const inner = createFakeDecider({ answer: (req: DecisionRequest) => ({ allow: freshAnswer(req.ref) }) });
  const d = withDecisionCache(inner, createDecisionCache({ ttlMs: 60_000, maxEntries: 1000 }), () => versions);
  return { decide: async (ref) => (await d.decide({ ref })).allow };
}

describe('decision cache keys', () => {
  it('never serve the answer for oci:/dir/c:x@… to oci:/dir/c@… unless both read the same directory', async () => {
    const p = problems();
    const d = cachedDecider();
    for (const ref of [`oci:/dir/c:x@${D}`, `oci:/dir/c@${D}`, `oci:/dir/c:y@${D}`]) {
      const got = await d.decide(ref);
      p.check(got === freshAnswer(ref), `${ref}: cached answer ${got}, its own answer ${freshAnswer(ref)}`);
    }
    log.attack('oci:/dir/c:x@D decided first, then oci:/dir/c@D asked', 'each ref gets the answer for the directory it reads (one parser for key and collector)', p.list, 3);
  });

  it('serve every spelling the answer of what it names (property)', async () => {
    // few pieces, so that spellings of one name meet in one sequence
    const piece = fc.constantFrom('c', 'c:x', 'd/c', 'c@e', 'c/', './c', 'c:x:y');
    const spelling = fc.tuple(fc.constantFrom('oci:', 'oci:/srv/', 'reg.io/org/', 'localhost:5000/'), piece, fc.constantFrom('', ':x', ':y'), fc.constantFrom(`@${D}`, '')).map((t) => t.join(''));
    const failures: string[] = [];
    let runs = 0;
    await fc.assert(fc.asyncProperty(fc.array(spelling, { minLength: 2, maxLength: 6 }), async (refs) => {
      runs++;
      const d = cachedDecider();
      for (const ref of refs) {
        const got = await d.decide(ref);
        if (got !== freshAnswer(ref)) {
          failures.push(`${JSON.stringify(refs)}: ${ref} got ${got}`);
          return false;
        }
      }
      return true;
    }), { seed: 21, numRuns: 300 }).catch((err: unknown) => {
      if (failures.length === 0) failures.push(String(err));
    });
    log.attack('random sequences of layout and registry spellings (tags, digests, colons, @) through the cache', 'every answer equals the uncached answer for that ref', failures.slice(0, 1), runs);
  });
});

describe('the API ref check and the fail-closed digest', () => {
  it('accept exactly what the parser accepts (sha512, uppercase hex, whitespace, control characters, arbitrary text)', () => {
    const check = createRefCheck({ allow: ['*'] });
    const crafted = [
      `reg.io/app@sha512:${'a'.repeat(128)}`,
      `oci:/dir@sha512:${'a'.repeat(128)}`,
      `reg.io/app@sha256:${'A'.repeat(64)}`,
      `reg.io/app:1@${D}`,
      `oci:/dir/c:x@${D}`,
      `oci:/dir/c@${D}`,
      'oci:/x:bad tag',
      'oci:/x\u0001:t',
      'oci:',
      '@sha256:00',
      `reg.io/app@md5:${'c'.repeat(32)}`,
      'a b',
    ];
    const p = problems();
    const agree = (ref: string): void => {
      const parsed = tryParseReference(ref);
      const accepted = check(ref) === null;
      p.check(accepted === (parsed !== null), `${JSON.stringify(ref)}: ref check ${accepted ? 'accepts' : 'refuses'}, parser ${parsed ? 'accepts' : 'refuses'}`);
      const digest = failClosed({ ref }, 'internal_error', 'x').digest;
      p.check(digest === (parsed?.digest ?? null), `${JSON.stringify(ref)}: fail-closed digest ${digest}`);
    };
    crafted.forEach(agree);
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (s) => {
      agree(s);
      agree(`oci:${s}`);
      agree(`reg.io/${s}`);
    }), { seed: 5, numRuns: 500 });
    log.attack('refs the grammar refuses sent to the API check (sha512, uppercase hex, tags with spaces, control characters, random text)', 'the API check and the parser agree on every one; the fail-closed digest comes from the parser', p.list.slice(0, 1), crafted.length + 1500);
    expect(p.list).toEqual([]);
  });
});
