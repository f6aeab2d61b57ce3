import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrustPolicy, validateTrustedRootJson, VerifyError } from '../../../../src/verify/index.ts';
import { identityRoles, matchIdentity } from '../../../../src/verify/identity/match.ts';

const pem = (type: 'ec' | 'rsa' | 'ed25519', opts: Record<string, unknown> = {}): string =>
  // @ts-expect-error -- overloads of generateKeyPairSync do not accept a union type
  generateKeyPairSync(type, opts).publicKey.export({ format: 'pem', type: 'spki' }).toString();

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VerifyError);
    return (err as VerifyError).code;
  }
  return undefined;
}

describe('loadTrustPolicy', () => {
  describe('when keys are configured', () => {
    it('accepts ECDSA P-256, P-384, RSA and Ed25519 PEM keys, inline or from a file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'wasmgate-trust-'));
      writeFileSync(join(dir, 'k.pub'), pem('ec', { namedCurve: 'prime256v1' }));
      const p = loadTrustPolicy({
        keys: [
          { id: 'p256', path: 'k.pub' },
          { id: 'p384', pem: pem('ec', { namedCurve: 'secp384r1' }) },
          { id: 'rsa', pem: pem('rsa', { modulusLength: 2048 }) },
          { pem: pem('ed25519') },
        ],
      }, { baseDir: dir });
      expect(p.keys.map((k) => k.algorithm)).toEqual(['ecdsa-p256', 'ecdsa-p384', 'rsa', 'ed25519']);
      expect(p.keys[3]?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(p.keyThresholds).toEqual({ tlog: 0, timestamps: 0 });
    });

    it('rejects a secp256k1 key, a short RSA key and garbage with TRUST_KEY_INVALID', () => {
      expect(codeOf(() => loadTrustPolicy({ keys: [{ pem: pem('ec', { namedCurve: 'secp256k1' }) }] }))).toBe('TRUST_KEY_INVALID');
      expect(codeOf(() => loadTrustPolicy({ keys: [{ pem: pem('rsa', { modulusLength: 1024 }) }] }))).toBe('TRUST_KEY_INVALID');
      expect(codeOf(() => loadTrustPolicy({ keys: [{ pem: 'not a key' }] }))).toBe('TRUST_KEY_INVALID');
    });

    it('rejects a key with both path and pem, and duplicate ids', () => {
      const k = pem('ed25519');
      expect(codeOf(() => loadTrustPolicy({ keys: [{ path: 'x', pem: k }] }))).toBe('TRUST_CONFIG_INVALID');
      expect(codeOf(() => loadTrustPolicy({ keys: [{ id: 'a', pem: k }, { id: 'a', pem: k }] }))).toBe('TRUST_CONFIG_INVALID');
    });
  });

  describe('when keyless identities are configured', () => {
    it('defaults to the shipped public-good root and the 1/1/1 thresholds', () => {
      const p = loadTrustPolicy({ keyless: [{ subject: 'a@example.com', issuer: 'https://accounts.google.com' }] });
      expect(p.rootNames).toEqual(['public-good']);
      expect(p.trustedRoot.certificateAuthorities.length).toBeGreaterThan(0);
      expect(p.trustedRoot.tlogs.map((t) => t.baseUrl)).toContain('https://rekor.sigstore.dev');
      expect(p.thresholds).toEqual({ tlog: 1, ctlog: 1, timestamps: 1 });
    });

    it('rejects unknown keys, unknown extensions, both exact and regexp, bad regexps and timestamps: 0', () => {
      const base = { subject: 's', issuer: 'i' };
      expect(codeOf(() => loadTrustPolicy({ keyless: [{ ...base, subjet: 'typo' }] }))).toBe('TRUST_CONFIG_INVALID');
      expect(() => loadTrustPolicy({ keyless: [{ ...base, subjet: 'typo' }] })).toThrow('trust.keyless[0].subjet: unknown key; did you mean "subject"?');
      expect(codeOf(() => loadTrustPolicy({ keyless: [{ ...base, extensions: { source_repo: 'x' } }] }))).toBe('TRUST_CONFIG_INVALID');
      expect(codeOf(() => loadTrustPolicy({ keyless: [{ ...base, subject_regexp: '.*' }] }))).toBe('TRUST_CONFIG_INVALID');
      expect(codeOf(() => loadTrustPolicy({ keyless: [{ subject_regexp: '(', issuer: 'i' }] }))).toBe('TRUST_CONFIG_INVALID');
      expect(codeOf(() => loadTrustPolicy({ keyless: [{ issuer: 'i' }] }))).toBe('TRUST_CONFIG_INVALID');
      expect(codeOf(() => loadTrustPolicy({ keyless: [base], thresholds: { timestamps: 0 } }))).toBe('TRUST_CONFIG_INVALID');
      expect(codeOf(() => loadTrustPolicy({ keyless: [base], trusted_roots: 'none' }))).toBe('TRUST_CONFIG_INVALID');
    });

    it('anchors identity patterns: …/acme/app does not match …/acme/app-evil', () => {
      const p = loadTrustPolicy({
        keyless: [{ subject_regexp: 'https://github\\.com/acme/app/\\.github/workflows/[^/@]+@refs/tags/v[0-9.]+', issuer: 'https://token.actions.githubusercontent.com' }],
      });
      const facts = (subject: string, issuer = 'https://token.actions.githubusercontent.com') => ({ subject, issuer, extensions: {} });
      expect(matchIdentity(facts('https://github.com/acme/app/.github/workflows/rel.yml@refs/tags/v1.2.3'), p.identities)).toBeUndefined();
      expect(matchIdentity(facts('https://github.com/acme/app-evil/.github/workflows/rel.yml@refs/tags/v1.2.3'), p.identities)?.code).toBe('identity_mismatch');
      expect(matchIdentity(facts('https://github.com/acme/app/.github/workflows/rel.yml@refs/tags/v1.2.3-evil'), p.identities)?.code).toBe('identity_mismatch');
      expect(matchIdentity(facts('xhttps://github.com/acme/app/.github/workflows/rel.yml@refs/tags/v1'), p.identities)?.code).toBe('identity_mismatch');
      expect(matchIdentity(facts('https://github.com/acme/app/.github/workflows/rel.yml@refs/tags/v1', 'https://evil'), p.identities)?.code).toBe('issuer_mismatch');
    });

    it('applies extension constraints after subject and issuer', () => {
      const p = loadTrustPolicy({ keyless: [{ subject: 's', issuer: 'i', extensions: { source_repository_uri: 'https://github.com/acme/app' }, extensions_regexp: { source_repository_ref: 'refs/tags/v.*' } }] });
      const ok = { subject: 's', issuer: 'i', extensions: { source_repository_uri: 'https://github.com/acme/app', source_repository_ref: 'refs/tags/v1' } };
      expect(matchIdentity(ok, p.identities)).toBeUndefined();
      expect(matchIdentity({ ...ok, extensions: { ...ok.extensions, source_repository_uri: 'https://github.com/acme/app-evil' } }, p.identities)?.code).toBe('extension_mismatch');
      expect(matchIdentity({ ...ok, extensions: { ...ok.extensions, source_repository_ref: 'refs/heads/main' } }, p.identities)?.code).toBe('extension_mismatch');
    });
  });
});

describe('roles (who may sign what)', () => {
  const id = (subject: string, roles?: string[]) => ({ subject, issuer: 'https://token.actions.githubusercontent.com', ...(roles ? { roles } : {}) });
  const facts = (subject: string) => ({ subject, issuer: 'https://token.actions.githubusercontent.com', extensions: {} });

  describe('when an entry lists roles', () => {
    it('keeps them in the canonical order, without duplicates, for keys and identities', () => {
      const p = loadTrustPolicy({ keys: [{ pem: pem('ec', { namedCurve: 'prime256v1' }), roles: ['signature', 'sbom', 'sbom'] }], keyless: [id('s', ['provenance'])] });
      expect(p.keys[0]?.roles).toEqual(['sbom', 'signature']);
      expect(p.identities[0]?.roles).toEqual(['provenance']);
      expect(p.unscoped).toEqual([]);
    });
    it('gives a certificate the union of the roles of every identity it matches, and none of the others', () => {
      const p = loadTrustPolicy({ keyless: [
        { subject_regexp: 'https://github\\.com/acme/app/.*', issuer: 'https://token.actions.githubusercontent.com', roles: ['signature'] },
        id('https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main', ['sbom']),
        id('https://github.com/slsa-framework/gen@refs/tags/v2.1.0', ['provenance']),
      ] });
      expect(identityRoles(facts('https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main'), p.identities)).toEqual(['sbom', 'signature']);
      expect(identityRoles(facts('https://github.com/acme/app/.github/workflows/other.yml@refs/heads/main'), p.identities)).toEqual(['signature']);
      expect(identityRoles(facts('https://github.com/slsa-framework/gen@refs/tags/v2.1.0'), p.identities)).toEqual(['provenance']);
      expect(identityRoles(facts('https://github.com/evil/app@refs/heads/main'), p.identities)).toEqual([]);
    });
  });

  describe('when an entry has no roles', () => {
    it('holds every role (configs written before roles keep verifying) and is listed as unscoped', () => {
      const p = loadTrustPolicy({ keys: [{ pem: pem('ec', { namedCurve: 'prime256v1' }) }], keyless: [id('s'), id('t', ['sbom'])] });
      expect(p.keys[0]?.roles).toEqual(['sbom', 'provenance', 'signature']);
      expect(p.identities[0]?.roles).toEqual(['sbom', 'provenance', 'signature']);
      expect(p.unscoped).toEqual(['trust.keys[0]', 'trust.keyless[0]']);
    });
  });

  describe('when roles are wrong', () => {
    it('refuses an unknown role, an empty list and a non-list, naming the entry', () => {
      expect(() => loadTrustPolicy({ keyless: [id('s', ['sboms'])] })).toThrow(/trust\.keyless\[0\]\.roles\[0\]: "sboms" is not a role; use sbom, provenance, signature/);
      expect(codeOf(() => loadTrustPolicy({ keyless: [id('s', [])] }))).toBe('TRUST_CONFIG_INVALID');
      expect(codeOf(() => loadTrustPolicy({ keys: [{ pem: pem('ec', { namedCurve: 'prime256v1' }), roles: 'sbom' }] }))).toBe('TRUST_CONFIG_INVALID');
    });
    it('refuses the same key listed twice (its roles belong in one entry)', () => {
      const k = pem('ec', { namedCurve: 'prime256v1' });
      expect(() => loadTrustPolicy({ keys: [{ id: 'a', pem: k, roles: ['sbom'] }, { id: 'b', pem: k, roles: ['provenance'] }] })).toThrow(/trust\.keys\[1\]: the same public key \(sha256:[0-9a-f]{64}\) is already trust\.keys\[0\]/);
    });
  });
});

describe('validateTrustedRootJson', () => {
  it('accepts the public-good shape and reports every authority without a validity start', () => {
    const root = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{ publicKey: { rawBytes: 'AA==' }, logId: { keyId: 'AA==' } }],
      ctlogs: [],
      certificateAuthorities: [{ certChain: { certificates: [{ rawBytes: 'AA==' }] }, validFor: { start: '2021-01-01T00:00:00Z', end: null } }],
      timestampAuthorities: [{ certChain: { certificates: [] }, validFor: { start: '2021-01-01T00:00:00Z' } }],
    };
    expect(validateTrustedRootJson(root)).toEqual([
      'tlogs[0].publicKey.validFor.start is missing or not a timestamp',
      'timestampAuthorities[0].certChain.certificates is empty',
    ]);
  });
});
