import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { componentsFromCargoLock, componentsFromEmbedded, detectInput, SbomError } from '../../../../src/analyse/sbom/index.ts';

function lock(name: string): string {
  return readFileSync(new URL(`../../../fixtures/sbom/lockfiles/${name}`, import.meta.url), 'utf8');
}

describe('componentsFromCargoLock', () => {
  describe('when given lockfile formats v1, v3 and v4', () => {
    it('reads every package of each', () => {
      expect(componentsFromCargoLock(lock('trivy-ci-test-v1.lock'))).toHaveLength(74); // v1: "name ver (source)" deps
      expect(componentsFromCargoLock(lock('trivy-cargo_v3.lock'))).toHaveLength(9);
      expect(componentsFromCargoLock(lock('wasmcloud-root.lock'))).toHaveLength(727); // v4
      expect(componentsFromCargoLock(lock('spin-v0.2.0.lock'))).toHaveLength(490);
    });
  });
  describe('when versions carry build metadata', () => {
    it('keeps them verbatim in the version and purl', () => {
      const wasi = componentsFromCargoLock(lock('spin-http-rust.lock')).filter((c) => c.name === 'wasi');
      expect(wasi.map((c) => c.version)).toContain('0.14.7+wasi-0.2.4');
      expect(wasi.find((c) => c.version === '0.14.7+wasi-0.2.4')?.purl).toBe('pkg:cargo/wasi@0.14.7+wasi-0.2.4');
    });
  });
  describe('when packages come from git or paths', () => {
    it('lists them with a reason instead of dropping them', () => {
      const git = componentsFromCargoLock(lock('syft-git-deps.lock')).filter((c) => c.purl === null);
      expect(git.some((c) => /^git source git\+/.test(c.unmatched_reason ?? ''))).toBe(true);
      const path = componentsFromCargoLock(lock('syft-path-deps.lock')).filter((c) => c.purl === null);
      expect(path.length).toBeGreaterThan(0);
      expect(path.every((c) => c.unmatched_reason?.startsWith('path or workspace crate'))).toBe(true);
    });
    it('marks git-sourced spin-sdk in the Spin v1.0.0 example', () => {
      const spinSdk = componentsFromCargoLock(lock('spin-v1.0.0-http-rust.lock')).find((c) => c.name === 'spin-sdk');
      expect(spinSdk?.purl).toBeNull();
      expect(spinSdk?.unmatched_reason).toMatch(/^(git source|path or workspace)/);
    });
  });
  describe('when the lockfile is malformed', () => {
    it('throws CARGO_LOCK_INVALID (trivy\'s cargo_invalid.lock)', () => {
      expect(() => componentsFromCargoLock(lock('trivy-cargo_invalid.lock'))).toThrow(SbomError);
      expect(() => componentsFromCargoLock(lock('trivy-cargo_invalid.lock'))).toThrow(expect.objectContaining({ code: 'CARGO_LOCK_INVALID' }));
    });
  });
});

describe('detectInput', () => {
  it('tells a Cargo.lock, CycloneDX, SPDX, grype and trivy JSON apart by content', () => {
    expect(detectInput(lock('cargo-component-example.lock')).kind).toBe('cargo-lock');
    const read = (p: string) => readFileSync(new URL(`../../../fixtures/${p}`, import.meta.url), 'utf8');
    expect(detectInput(read('sbom/cargo-sbom/examples/sbom.cyclonedx.json')).kind).toBe('cyclonedx');
    expect(detectInput(read('sbom/cargo-sbom/examples/sbom.spdx.json')).kind).toBe('spdx');
    expect(detectInput(read('vulns/scanners/ghsa-test.json')).kind).toBe('grype');
    expect(detectInput(read('vulns/scanners/test-repo.json.golden')).kind).toBe('trivy');
    expect(() => detectInput('hello')).toThrow(expect.objectContaining({ code: 'SBOM_UNSUPPORTED' }));
  });
});

describe('componentsFromEmbedded', () => {
  it('makes crates.io dependencies matchable and keeps the others as unmatched', () => {
    const comps = componentsFromEmbedded([
      { name: 'wasi', version: '0.14.7+wasi-0.2.4', source: 'crates.io' },
      { name: 'my-app', version: '0.1.0', source: 'local' },
    ]);
    expect(comps[0]).toEqual({ name: 'wasi', version: '0.14.7+wasi-0.2.4', purl: 'pkg:cargo/wasi@0.14.7+wasi-0.2.4', ecosystem: 'crates.io' });
    expect(comps[1]?.purl).toBeNull();
    expect(comps[1]?.unmatched_reason).toMatch(/local/);
  });
});
