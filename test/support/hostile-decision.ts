import type { Decision } from '../../src/decide/types.ts';
import type { InputV1 } from '../../src/contract/input-v1.ts';

/** A payload that sets `window.__xss` if any renderer ever lets markup through. */
export const XSS = `"'><img src=x onerror="window.__xss=1"><script>window.__xss=2</script><svg/onload=window.__xss=3>`;

const digest = `sha256:${'a'.repeat(64)}`;

/** A denied decision whose every attacker-controlled string carries the payload. */
export function hostileDecision(id = '00000000-0000-4000-8000-000000000001'): Decision {
  const input: InputV1 = {
    module: {
      ref: `oci:demo/store:x${XSS}`, repository: `oci:${XSS}`, digest, layers: [],
      wasm: {
        digest, kind: 'module', imports: [`env.${XSS}`], exports: [XSS],
        producers: { language: [XSS], 'processed-by': [XSS], sdk: [] },
        embedded_dependencies: [{ name: `smallvec${XSS}`, version: '1.6.0', source: 'crates.io' }],
      },
    },
    signatures: [],
    sbom_attestations: [{
      verified: false, errors: [{ code: 'subject_mismatch', message: `the statement is about ${XSS}` }], format: 'sigstore-bundle',
      manifest_digest: digest, found_via: 'referrers-api', subject_matches: false,
      certificate: { subject: `https://github.com/${XSS}`, issuer: XSS, extensions: {} }, key: null, tlog: { log_index: 7, integrated_time: XSS },
    }, {
      verified: true, errors: [], format: 'sigstore-bundle', manifest_digest: digest, subject_matches: true, predicate_type: XSS,
      certificate: null, key: { id: XSS }, tlog: null,
      predicate: { bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ type: 'library', name: `serde${XSS}`, version: `1${XSS}`, purl: `pkg:cargo/serde@1?x=${encodeURIComponent(XSS)}` }] },
    }],
    provenance_attestations: [],
    other_attestations: [],
    vulnerability_scan: {
      source: 'osv', database: { name: XSS, built: XSS, records: 1 },
      matches: [{
        vulnerability: { id: `RUSTSEC-2021-0003${XSS}`, aliases: [XSS], severity: 'Critical', fixed_in: [XSS], informational: null, summary: XSS, url: `javascript:window.__xss=4` },
        artifact: { name: `smallvec${XSS}`, version: '1.6.0', purl: 'pkg:cargo/smallvec@1.6.0' },
      }],
    },
    request: { time: new Date(0).toISOString() },
    errors: [{ code: 'invalid_evidence', message: XSS }],
  };
  return {
    allow: false, deny: [`WASM module SBOM contains 1 critical vulnerabilities.${XSS}`, `custom rule ${XSS}`], digest, decision_id: id,
    revision: XSS, errors: [], result: false, input, metrics: {}, cached: false,
  };
}
