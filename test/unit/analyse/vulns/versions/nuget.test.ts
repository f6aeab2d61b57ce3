import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareNuGet, parseNuGet, schemeForEcosystem, type NuGetVersion } from '../../../../../src/analyse/vulns/index.ts';

const SEED = 20261125;

function n(text: string): NuGetVersion {
  const parsed = parseNuGet(text);
  if (parsed === null) throw new Error(`test version ${text} does not parse`);
  return parsed;
}

function cmp(a: string, b: string): number {
  return Math.sign(compareNuGet(n(a), n(b)));
}

const nugetText = fc
  .record({
    parts: fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 4 }),
    pre: fc.option(fc.array(fc.oneof(fc.nat({ max: 3 }).map(String), fc.constantFrom('alpha', 'Alpha', 'beta', 'RC', 'rc', 'x-1')), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    build: fc.option(fc.constantFrom('sha.abc', '5'), { nil: undefined }),
  })
  .map((r) => `${r.parts.join('.')}${r.pre !== undefined ? `-${r.pre.join('.')}` : ''}${r.build !== undefined ? `+${r.build}` : ''}`);

describe('compareNuGet', () => {
  it('orders four-part versions, pre-releases and case-insensitive labels as NuGet does', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.0.1', '1.0.1', '1.0.10', '2.0'];
    for (let i = 0; i < order.length; i++) {
      for (let j = 0; j < order.length; j++) expect(cmp(order[i] as string, order[j] as string), `${order[i]} vs ${order[j]}`).toBe(Math.sign(i - j));
    }
    expect(cmp('1.0', '1.0.0.0')).toBe(0);
    expect(cmp('1.0.0-BETA', '1.0.0-beta')).toBe(0);
    expect(cmp('1.01.0', '1.1.0')).toBe(0);
    expect(cmp('1.0.0+abc', '1.0.0')).toBe(0);
  });
  it('rejects text that is not a version', () => {
    for (const bad of ['', 'abc', '1.0.0.0.0', '1.0-', '1..0']) expect(parseNuGet(bad), bad).toBeNull();
  });
  it('is a total order (property, fixed seed)', () => {
    fc.assert(
      fc.property(nugetText, nugetText, nugetText, (a, b, c) => {
        expect(cmp(a, a)).toBe(0);
        expect(cmp(a, b)).toBe(-cmp(b, a) || 0);
        if (cmp(a, b) <= 0 && cmp(b, c) <= 0) expect(cmp(a, c)).toBeLessThanOrEqual(0);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
  it("is the scheme of schemeForEcosystem('NuGet')", () => {
    expect(schemeForEcosystem('NuGet')?.name).toBe('nuget');
  });
});
