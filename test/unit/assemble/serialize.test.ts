/**
 * The input document's JSON text with cached evidence text (issue 15, item 4) is exactly JSON.stringify's, for the
 * demo module's real input and for arbitrary documents; SBOM components are read once per predicate object.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { componentsFromSbom } from '../../../src/analyse/sbom/index.ts';
import { componentsFromSbomOnce } from '../../../src/analyse/sbom/memo.ts';
import type { InputV1 } from '../../../src/contract/input-v1.ts';
import { serializeInput, serializeInputBytes } from '../../../src/assemble/serialize.ts';
import { createCollector } from '../../../src/collect/collect.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { createPipelineDecider } from '../../../src/decide/pipeline.ts';
import { embeddedBundlePath, loadBundleFile } from '../../../src/policy/engine/engine.ts';
import { loadTrustPolicy } from '../../../src/verify/trust/load.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('serializeInput', () => {
  it('equals JSON.stringify on the demo module\'s real input, first and second time', async () => {
    const config = parseConfig(EMBEDDED_DEFAULT_CONFIG_YAML, { env: {} });
    const trust = loadTrustPolicy(config.trust, { baseDir: ROOT });
    const bundle = await loadBundleFile(embeddedBundlePath());
    const collector = createCollector();
    try {
      // the pipeline itself (no deadline: a loaded machine must not turn this into a fail-closed answer)
      const decider = createPipelineDecider({ collector, trust: () => trust, bundle: () => bundle, vulnerabilities: () => null });
      const d = await decider.decide({ ref: `oci:${ROOT}demo/store:payments`, request: { runtime: 'spin' } });
      const input = d.input!;
      expect(input.sbom_attestations[0]?.predicate).toBeDefined();
      expect(serializeInput(input)).toBe(JSON.stringify(input));
      expect(serializeInput(input)).toBe(JSON.stringify(input));
      expect(Buffer.from(serializeInputBytes(input)).toString('utf8')).toBe(JSON.stringify(input));
      expect(Buffer.from(serializeInputBytes(input)).toString('utf8')).toBe(JSON.stringify(input));
      // another document sharing the evidence objects (what the verification cache hands out)
      const other: InputV1 = { ...input, request: { time: '2026-01-01T00:00:00.000Z', labels: { a: 'b' } }, errors: [{ code: 'x', message: 'y' }] };
      expect(serializeInput(other)).toBe(JSON.stringify(other));
    } finally {
      await collector.close();
    }
  });

  it('equals JSON.stringify for arbitrary documents (property, fixed seed)', () => {
    const evidence = fc.record({ verified: fc.boolean(), errors: fc.constant([]), format: fc.constant('sigstore-bundle'), manifest_digest: fc.string({ unit: 'grapheme' }), subject_matches: fc.boolean(), certificate: fc.constant(null), key: fc.constant(null), tlog: fc.constant(null), predicate: fc.option(fc.jsonValue(), { nil: undefined }) });
    fc.assert(fc.property(
      fc.record({ module: fc.jsonValue(), signatures: fc.array(evidence), sbom_attestations: fc.array(evidence), provenance_attestations: fc.array(evidence), other_attestations: fc.array(evidence), vulnerability_scan: fc.jsonValue(), request: fc.jsonValue(), errors: fc.option(fc.array(fc.record({ code: fc.string({ unit: 'grapheme' }), message: fc.string({ unit: 'grapheme' }) })), { nil: undefined }) }),
      (doc) => {
        const input = doc as unknown as InputV1;
        expect(serializeInput(input)).toBe(JSON.stringify(input));
        expect(Buffer.from(serializeInputBytes(input)).toString('utf8')).toBe(JSON.stringify(input));
      },
    ), { seed: 1515, numRuns: 200 });
  });
});

describe('componentsFromSbomOnce', () => {
  it('gives componentsFromSbom\'s components, reading a predicate object once', async () => {
    const { readFile } = await import('node:fs/promises');
    const sbom = JSON.parse(await readFile(`${ROOT}test/fixtures/collect/sbom.cyclonedx.json`, 'utf8')) as Record<string, unknown>;
    const first = componentsFromSbomOnce(sbom);
    expect(first).toEqual(componentsFromSbom(sbom));
    // the same predicate object again: answered from memory (the very same component objects)
    const second = componentsFromSbomOnce(sbom);
    expect(second).toEqual(first);
    expect(second[0]).toBe(first[0]);
    expect(() => componentsFromSbomOnce({ nope: true })).toThrow(/neither CycloneDX/);
  });
});
