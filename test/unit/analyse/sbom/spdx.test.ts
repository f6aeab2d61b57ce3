import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { componentsFromCargoLock, componentsFromSbom, componentsFromSpdx } from '../../../../src/analyse/sbom/index.ts';

function load(path: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../../fixtures/sbom/${path}`, import.meta.url), 'utf8'));
}

describe('componentsFromSpdx', () => {
  describe('when given cargo-sbom SPDX 2.3 output', () => {
    it('takes purls from externalRefs and keeps the purl-less root package as unmatched', () => {
      const comps = componentsFromSbom(load('cargo-sbom/tests/sbom.spdx.json'));
      const matched = comps.filter((c) => c.purl !== null);
      expect(matched.length).toBeGreaterThan(30);
      expect(matched.every((c) => c.ecosystem === 'crates.io' && c.purl?.startsWith('pkg:cargo/'))).toBe(true);
      for (const c of comps.filter((x) => x.purl === null)) expect(c.unmatched_reason).toBeDefined();
    });
    it('agrees with the paired Cargo.lock on the registry crates (tests/ pair)', () => {
      const fromSpdx = new Set(componentsFromSbom(load('cargo-sbom/tests/sbom.spdx.json')).flatMap((c) => (c.purl === null ? [] : [c.purl])));
      const lock = componentsFromCargoLock(readFileSync(new URL('../../../fixtures/sbom/cargo-sbom/tests/Cargo.lock', import.meta.url), 'utf8'));
      const fromLock = new Set(lock.flatMap((c) => (c.purl === null ? [] : [c.purl])));
      expect([...fromLock].filter((p) => !fromSpdx.has(p))).toEqual([]);
    });
  });
  it('rejects a non-2.x version and bad packages with a path', () => {
    expect(() => componentsFromSpdx({ spdxVersion: 'SPDX-3.0' })).toThrow(expect.objectContaining({ code: 'SBOM_UNSUPPORTED' }));
    expect(() => componentsFromSpdx({ spdxVersion: 'SPDX-2.3', packages: [{ name: 1 }] })).toThrow(expect.objectContaining({ details: { path: '/packages/0/name' } }));
  });
});
