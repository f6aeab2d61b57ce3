import { beforeAll, describe, expect, it } from 'vitest';
import { embeddedBundlePath, loadBundleFile, type WasmBundle } from '../../../src/policy/engine/index.ts';
import { realisticInput } from '../../../bench/engine-input.ts';

const MISSING = ['WASM module missing a valid CycloneDX SBOM attestation from the build pipeline.', 'WASM module missing a valid SLSA provenance attestation.'];

describe('LoadedBundle.evaluate (shipped bundle)', () => {
  let b: WasmBundle;
  beforeAll(async () => {
    b = await loadBundleFile(embeddedBundlePath(), { name: 'default' });
  });

  describe('when the path is an entrypoint', () => {
    it('returns allow for the realistic input', () => {
      expect(b.evaluate('wasm/sbom/allow', realisticInput())).toEqual({ defined: true, result: true });
      expect(b.evaluate('/wasm/sbom/allow/', realisticInput())).toEqual({ defined: true, result: true });
    });
    it('returns an empty deny set as an empty array', () => {
      expect(b.evaluate('wasm/sbom/deny', realisticInput())).toEqual({ defined: true, result: [] });
    });
    it('treats undefined, null and false input alike: no evidence, deny', () => {
      for (const input of [undefined, null, false, 0, '']) {
        expect(b.evaluate('wasm/sbom/deny', input)).toEqual({ defined: true, result: MISSING });
        expect(b.evaluate('wasm/sbom/allow', input)).toEqual({ defined: true, result: false });
      }
    });
  });

  describe('when the path lies inside an entrypoint result', () => {
    it('walks objects and array indices of the result', () => {
      expect(b.evaluate('wasm/sbom/deny/1', {})).toEqual({ defined: true, result: MISSING[1] });
      expect(b.evaluate('wasm/sbom/deny/7', {})).toEqual({ defined: false });
      expect(b.evaluate('wasm/sbom/config/inspection/forbidden_imports', {})).toEqual({ defined: true, result: [] });
      expect(b.evaluate('wasm/sbom/no_such_rule', {})).toEqual({ defined: false });
    });
  });

  describe('when the path is above the entrypoints or outside them', () => {
    it('composes data with the entrypoints below the path', () => {
      const r = b.evaluate('wasm', {});
      expect(r.defined).toBe(true);
      expect((r as { result: { sbom: { deny: string[]; config: unknown } } }).result.sbom.deny).toEqual(MISSING);
      expect(b.evaluate('', {})).toMatchObject({ defined: true, result: { wasm: { sbom: { allow: false } } } });
    });
    it('answers undefined for paths nothing defines', () => {
      expect(b.evaluate('system/main', {})).toEqual({ defined: false });
    });
  });

  describe('when several paths are asked at once (evaluateMany)', () => {
    it('answers each path as evaluate would, parsing the input once', () => {
      const input = realisticInput({ critical: 1 });
      const paths = ['wasm/sbom/allow', 'wasm/sbom/deny', 'wasm/sbom/deny/0', 'wasm/sbom/config/inspection', 'system/main', 'wasm'];
      expect(b.evaluateMany(paths, input)).toEqual(paths.map((p) => b.evaluate(p, input)));
      expect(b.evaluateManyJson(paths, JSON.stringify(input))).toEqual(paths.map((p) => b.evaluate(p, input)));
      expect(b.evaluateMany(['wasm/sbom/deny'], undefined)).toEqual([{ defined: true, result: MISSING }]);
    });
    it('rejects input text that is not JSON with EVAL_ERROR and keeps working', () => {
      expect(() => b.evaluateManyJson(['wasm/sbom/allow'], '{not json')).toThrow(expect.objectContaining({ code: 'EVAL_ERROR' }));
      expect(b.evaluateManyJson(['wasm/sbom/allow'], JSON.stringify(realisticInput()))).toEqual([{ defined: true, result: true }]);
    });
  });

  it('exposes the manifest, revision, digest and frozen data', () => {
    expect(b.name).toBe('default');
    expect(b.manifest.revision).toBe(b.revision);
    expect(b.manifest.wasm.map((w) => w.entrypoint)).toEqual([...b.entrypoints]);
    expect(Object.isFrozen(b.data)).toBe(true);
    expect(b.evaluate('wasm/sbom/config', undefined)).toMatchObject({ defined: true });
  });
});
