import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertValidCycloneDx, componentsFromCycloneDx, componentsFromSbom, SbomError } from '../../../../src/analyse/sbom/index.ts';

const root = fileURLToPath(new URL('../../../fixtures/sbom/', import.meta.url));

function load(path: string): unknown {
  return JSON.parse(readFileSync(`${root}${path}`, 'utf8'));
}

describe('assertValidCycloneDx', () => {
  // The CycloneDX specification's own test vectors: the file-name prefix states the outcome.
  for (const version of ['1.2', '1.3', '1.4', '1.5', '1.6', '1.7']) {
    const files = readdirSync(`${root}cyclonedx/${version}`).filter((f) => !f.startsWith('skip_'));
    describe(`when given the CycloneDX ${version} test vectors`, () => {
      it(`accepts every valid-* file (${files.filter((f) => f.startsWith('valid-')).length})`, () => {
        for (const f of files.filter((x) => x.startsWith('valid-'))) {
          expect(() => assertValidCycloneDx(load(`cyclonedx/${version}/${f}`)), f).not.toThrow();
        }
      });
      it(`rejects every invalid-* file with SBOM_INVALID or SBOM_UNSUPPORTED and a JSON path (${files.filter((f) => f.startsWith('invalid-')).length})`, () => {
        for (const f of files.filter((x) => x.startsWith('invalid-'))) {
          let err: unknown;
          try {
            assertValidCycloneDx(load(`cyclonedx/${version}/${f}`));
          } catch (e) {
            err = e;
          }
          expect(err, f).toBeInstanceOf(SbomError);
          expect(['SBOM_INVALID', 'SBOM_UNSUPPORTED'], f).toContain((err as SbomError).code);
          expect((err as SbomError).details?.['path'], f).toMatch(/^\//);
        }
      });
    });
  }

  describe('when an array the schema marks uniqueItems holds two equal items', () => {
    it('rejects it, whatever the key order, naming the array; accepts it once they differ', () => {
      const a = { type: 'library', name: 'ring', version: '0.17.8', purl: 'pkg:cargo/ring@0.17.8' };
      const b: Record<string, string> = { purl: 'pkg:cargo/ring@0.17.8', version: '0.17.8', name: 'ring', type: 'library' };
      const doc = { bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [a, b] };
      expect(() => assertValidCycloneDx(doc)).toThrow(/invalid at \/components /);
      b.version = '0.17.7';
      expect(() => assertValidCycloneDx(doc)).not.toThrow();
    });
  });

  describe('when the SBOM has 10,000 components', () => {
    it('validates it (uniqueness is checked by value, not pairwise)', () => {
      const components = Array.from({ length: 10_000 }, (_, i) => ({
        type: 'library', 'bom-ref': `c${i}`, name: `crate${i}`, version: `1.0.${i}`, purl: `pkg:cargo/crate${i}@1.0.${i}`,
        licenses: [{ license: { id: 'MIT' } }], hashes: [{ alg: 'SHA-256', content: 'a'.repeat(64) }],
      }));
      const doc = { bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components };
      expect(componentsFromSbom(doc)).toHaveLength(10_000);
    });
  });

  describe('when a CycloneDX 1.7 crypto asset names its algorithm family', () => {
    // bom-1.7 takes the family enum from cryptography-defs.schema.json: proves that referenced schema is loaded.
    const doc = (algorithmFamily: string): unknown => ({
      bomFormat: 'CycloneDX', specVersion: '1.7', version: 1,
      components: [{ type: 'cryptographic-asset', name: 'AES-128-GCM', cryptoProperties: { assetType: 'algorithm', algorithmProperties: { primitive: 'ae', algorithmFamily } } }],
    });
    it('accepts a family from the cryptography definitions and rejects one that is not there, naming the path', () => {
      expect(() => assertValidCycloneDx(doc('AES'))).not.toThrow();
      expect(() => assertValidCycloneDx(doc('NOT-A-FAMILY'))).toThrow(/invalid at \/components\/0\/cryptoProperties\/algorithmProperties\/algorithmFamily /);
    });
  });

  describe('when a timestamp is not a date-time', () => {
    it('names the path in the message', () => {
      expect(() => assertValidCycloneDx(load('cyclonedx/1.4/invalid-metadata-timestamp-1.4.json'))).toThrow(/\/metadata\/timestamp/);
    });
  });
});

describe('componentsFromCycloneDx', () => {
  describe('when given cargo-sbom output (CycloneDX 1.4)', () => {
    it('returns one crates.io component per package, with purls', () => {
      const comps = componentsFromCycloneDx(load('cargo-sbom/examples/sbom.cyclonedx.json'));
      expect(comps).toHaveLength(35);
      expect(comps).toContainEqual({ name: 'errno', version: '0.3.1', purl: 'pkg:cargo/errno@0.3.1', ecosystem: 'crates.io' });
      expect(comps.every((c) => c.ecosystem === 'crates.io')).toBe(true);
    });
  });
  describe('when components nest and some lack purls', () => {
    it('walks nested components and keeps purl-less ones as unmatched', () => {
      const comps = componentsFromSbom(load('cyclonedx/1.2/valid-assembly-1.2.json'));
      expect(comps.length).toBeGreaterThan(1);
      for (const c of comps) if (c.purl === null) expect(c.unmatched_reason).toBe('no purl in the SBOM');
    });
  });
  it('rejects an unsupported spec version naming /specVersion', () => {
    expect(() => componentsFromSbom({ bomFormat: 'CycloneDX', specVersion: '1.1' })).toThrow(expect.objectContaining({ code: 'SBOM_UNSUPPORTED', details: { path: '/specVersion' } }));
  });
});
