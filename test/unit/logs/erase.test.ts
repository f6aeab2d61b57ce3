import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRedactor, MASK_PLACEHOLDER } from '../../../src/logs/index.ts';
import { DEFAULT_ERASE } from '../../../src/config/index.ts';

describe('createRedactor', () => {
  const input = {
    module: { ref: 'r/app@sha256:x' },
    sbom_attestations: [{ verified: true, predicate: { bomFormat: 'CycloneDX', components: [1, 2, 3] } }, { verified: false }],
    provenance_attestations: [{ verified: true, predicate: { buildType: 'x' } }],
    request: { token: 'secret' },
  };

  it('erases every evidence predicate by default and lists the concrete pointers', () => {
    const r = createRedactor(DEFAULT_ERASE, []);
    const out = r({ input, result: { allow: true } });
    expect(out.erased).toEqual(['/input/sbom_attestations/0/predicate', '/input/provenance_attestations/0/predicate']);
    expect(out.input).toEqual({ ...input, sbom_attestations: [{ verified: true }, { verified: false }], provenance_attestations: [{ verified: true }] });
    expect(out.result).toEqual({ allow: true });
  });

  it('never mutates the caller\'s objects', () => {
    const before = structuredClone(input);
    createRedactor(DEFAULT_ERASE, [{ path: '/input/request/token' }])({ input });
    expect(input).toEqual(before);
  });

  it('masks values with a placeholder or a given value', () => {
    const out = createRedactor([], [{ path: '/input/request/token' }, { path: '/input/module/ref', value: 'hidden' }])({ input });
    expect(out.masked).toEqual(['/input/request/token', '/input/module/ref']);
    expect((out.input as typeof input).request.token).toBe(MASK_PLACEHOLDER);
    expect((out.input as typeof input).module.ref).toBe('hidden');
  });

  it('unescapes ~1 and ~0 in pointers', () => {
    const out = createRedactor(['/input/a~1b', '/input/c~0d'], [])({ input: { 'a/b': 1, 'c~d': 2, e: 3 } });
    expect(out.input).toEqual({ e: 3 });
    expect(out.erased).toEqual(['/input/a~1b', '/input/c~0d']);
  });

  it('leaves the original untouched and removes each erased pointer (property)', () => {
    const attestation = fc.record({ verified: fc.boolean(), predicate: fc.option(fc.jsonValue(), { nil: undefined }) }, { requiredKeys: ['verified'] });
    fc.assert(
      fc.property(fc.record({ sbom_attestations: fc.array(attestation, { maxLength: 4 }), other: fc.jsonValue() }), (doc) => {
        const frozen = JSON.stringify(doc);
        const out = createRedactor(DEFAULT_ERASE, [])({ input: doc });
        expect(JSON.stringify(doc)).toBe(frozen);
        const atts = (out.input as { sbom_attestations: Array<Record<string, unknown>> }).sbom_attestations;
        for (const a of atts) expect(Object.hasOwn(a, 'predicate')).toBe(false);
        expect(out.erased.length).toBe(doc.sbom_attestations.filter((a) => Object.hasOwn(a, 'predicate')).length);
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
