import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uiEnabled } from '../../../../src/server/ui-enabled.ts';
import { toRecord } from '../../../../src/ui/ring.ts';
import { advisoryUrl, decisionPage, disagreements, reasonTarget, standaloneReport } from '../../../../src/ui/views/decision.ts';
import { listPage } from '../../../../src/ui/views/list.ts';
import { policyPage } from '../../../../src/ui/views/policy.ts';
import { hostileDecision, XSS } from '../../../support/hostile-decision.ts';

const record = () => toRecord({ ref: hostileDecision().input!.module.ref }, hostileDecision(), 3.2, new Date(0), 'wasm/sbom');

/** Markup the payload would inject if a renderer let it through. */
const INJECTED = [/<img src=x/i, /<script>window/i, /<svg\/onload/i, /href="javascript:/i];

describe('decision explorer views', () => {
  it('escape attacker-controlled refs, SBOM fields, predicate fields, reasons and errors everywhere', () => {
    const r = record();
    for (const out of [decisionPage(r), standaloneReport(r), listPage([r], { ref: XSS, verdict: 'all' }, 10)]) {
      for (const bad of INJECTED) expect(out).not.toMatch(bad);
      expect(out).toContain('&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;');
    }
  });

  it('renders arbitrary strings in a component name and a certificate subject without adding a single tag', () => {
    const tags = (name: string): number => {
      const d = hostileDecision();
      (d.input!.sbom_attestations[1]!.predicate as { components: Array<{ name: string }> }).components[0]!.name = name;
      d.input!.sbom_attestations[0]!.certificate!.subject = name;
      return decisionPage(toRecord({ ref: 'oci:x:y' }, d, 1, new Date(0), 'wasm/sbom')).split('<').length;
    };
    const baseline = tags('x');
    fc.assert(fc.property(fc.string(), (s) => {
      expect(tags(s)).toBe(baseline);
    }), { numRuns: 100 });
  });

  it('the policy page never shows key material, only ids and where keys come from', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----';
    const out = policyPage({ bundle: null, status: { plugins: {}, bundles: {} }, trust: { keys: [{ id: 'release', pem }, { path: '/etc/k.pub' }], keyless: [{ subject: XSS, issuer: 'https://token.actions.githubusercontent.com' }] } });
    expect(out).not.toContain('MFkwEwYH');
    expect(out).toContain('release');
    expect(out).toContain('(inline PEM)');
    expect(out).toContain('/etc/k.pub');
    for (const bad of INJECTED) expect(out).not.toMatch(bad);
    expect(out).toContain('No bundle is active');
  });

  it('links each deny reason to the section holding its cause', () => {
    expect(reasonTarget('WASM module SBOM contains 1 critical vulnerabilities.')).toBe('vulnerabilities');
    expect(reasonTarget('WASM module missing a valid CycloneDX SBOM attestation from the build pipeline.')).toBe('sbom_attestations');
    expect(reasonTarget('WASM module missing a valid SLSA provenance attestation.')).toBe('provenance_attestations');
    expect(reasonTarget('WASM module embeds ring 0.17.7, but its verified SBOM says ring 0.17.8.')).toBe('binary');
    expect(reasonTarget('registry_unreachable: …')).toBe('errors');
  });

  it('links advisories only over https, never to a javascript: URL', () => {
    expect(advisoryUrl('RUSTSEC-2021-0003')).toBe('https://rustsec.org/advisories/RUSTSEC-2021-0003.html');
    expect(advisoryUrl('GHSA-xxxx', 'javascript:alert(1)')).toBe('https://osv.dev/vulnerability/GHSA-xxxx');
    expect(advisoryUrl('X-1', 'https://example.com/a')).toBe('https://example.com/a');
  });

  it('finds where the binary disagrees with its SBOM', () => {
    const wasm = { digest: 'sha256:x', kind: 'module' as const, imports: [], exports: [], producers: null, embedded_dependencies: [
      { name: 'ring', version: '0.17.7', source: 'crates.io' }, { name: 'serde', version: '1.0.0', source: 'crates.io' }, { name: 'app', version: '0.1.0', source: 'local' }] };
    const sbom = [{ name: 'ring', version: '0.17.8', purl: null, ecosystem: null }, { name: 'serde', version: '1.0.0', purl: null, ecosystem: null }];
    expect(disagreements(wasm, sbom)).toEqual([{ name: 'ring', embedded: '0.17.7', sbom: '0.17.8' }]);
    expect(disagreements(wasm, [])).toEqual([]);
  });

  it('is on by default only when every listener stays on the machine', () => {
    const unix = { kind: 'unix' as const, path: '/tmp/s', mode: 0o660 };
    expect(uiEnabled(null, [{ kind: 'tcp', host: '127.0.0.1', port: 1 }, unix])).toBe(true);
    expect(uiEnabled(null, [{ kind: 'tcp', host: '::1', port: 1 }])).toBe(true);
    expect(uiEnabled(null, [{ kind: 'tcp', host: '0.0.0.0', port: 1 }, unix])).toBe(false);
    expect(uiEnabled(null, [{ kind: 'fd', fd: 3, name: 'http' }])).toBe(false);
    expect(uiEnabled(true, [{ kind: 'tcp', host: '0.0.0.0', port: 1 }])).toBe(true);
    expect(uiEnabled(false, [unix])).toBe(false);
  });
});
