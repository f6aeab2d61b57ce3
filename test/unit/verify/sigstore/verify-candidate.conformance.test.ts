import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SerializedBundle } from '@sigstore/bundle';
import { checkSignature, loadTrustPolicy, type Candidate } from '../../../../src/verify/index.ts';
import { parseStatement, subjectMatches } from '../../../../src/verify/binding/statement.ts';

const ROOT = fileURLToPath(new URL('../../../fixtures/verify/conformance/', import.meta.url));
const DEFAULT_IDENTITY = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

const cases = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

function read(dir: string, name: string): string | undefined {
  const p = join(dir, name);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

/** Runs one case the way sigstore-conformance's verify-bundle does; returns the rejection reason or the identity. */
function runCase(name: string): { ok: true; subject: string; issuer: string } | { ok: false; reason: string } {
  const dir = join(ROOT, name);
  const artifact = readFileSync(existsSync(join(dir, 'artifact')) ? join(dir, 'artifact') : join(ROOT, 'a.txt'));
  const keyPem = read(dir, 'key.pub');
  const identity = read(dir, 'identity')?.trim() ?? DEFAULT_IDENTITY;
  const issuer = read(dir, 'issuer')?.trim() ?? DEFAULT_ISSUER;
  let policy;
  try {
    policy = loadTrustPolicy({
      ...(keyPem ? { keys: [{ id: 'conformance', pem: keyPem }], key_thresholds: { tlog: 1, timestamps: 1 } } : { keyless: [{ subject: identity, issuer }] }),
      trusted_roots: [existsSync(join(dir, 'trusted_root.json')) ? join(dir, 'trusted_root.json') : 'public-good'],
    });
  } catch (err) {
    return { ok: false, reason: `trust: ${(err as Error).message}` };
  }
  let bundle: SerializedBundle;
  try {
    bundle = JSON.parse(readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8')) as SerializedBundle;
  } catch {
    return { ok: false, reason: 'bundle is not JSON' };
  }
  const isDsse = 'dsseEnvelope' in bundle;
  const candidate: Candidate = isDsse
    ? { format: 'sigstore-bundle', content: 'dsse', bundle }
    : { format: 'sigstore-bundle', content: 'message-signature', bundle, artifact: artifact };
  const check = checkSignature(candidate, policy);
  if (!check.ok) return { ok: false, reason: check.errors.map((e) => `${e.code}: ${e.message}`).join('; ') };
  if (isDsse) {
    const content = check.bundle?.content;
    if (content?.$case !== 'dsseEnvelope') return { ok: false, reason: 'no envelope' };
    const st = parseStatement(content.dsseEnvelope.payloadType, content.dsseEnvelope.payload);
    if (!st.ok) return { ok: false, reason: st.message };
    if (!subjectMatches(st.value.subjectDigests, [`sha256:${createHash('sha256').update(artifact).digest('hex')}`])) return { ok: false, reason: 'subject_mismatch' };
  }
  return { ok: true, subject: check.certificate?.subject ?? `key:${check.key?.id ?? ''}`, issuer: check.certificate?.issuer ?? '' };
}

describe('sigstore-conformance bundle-verify cases', () => {
  it('has the vendored 70 cases (49 _fail, 21 pass)', () => {
    expect(cases).toHaveLength(70);
    expect(cases.filter((c) => c.endsWith('_fail'))).toHaveLength(49);
  });

  describe.each(cases.filter((c) => c.endsWith('_fail')))('when the case is %s', (name) => {
    it('rejects it', () => {
      const r = runCase(name);
      expect(r.ok, r.ok ? `accepted as ${r.subject}` : r.reason).toBe(false);
    });
  });

  describe.each(cases.filter((c) => !c.endsWith('_fail')))('when the case is %s', (name) => {
    it('accepts it with the expected identity and issuer', () => {
      const r = runCase(name);
      expect(r.ok ? 'ok' : r.reason).toBe('ok');
      if (!r.ok) return;
      const dir = join(ROOT, name);
      if (existsSync(join(dir, 'key.pub'))) {
        expect(r.subject).toBe('key:conformance');
      } else {
        expect(r.subject).toBe(read(dir, 'identity')?.trim() ?? DEFAULT_IDENTITY);
        expect(r.issuer).toBe(read(dir, 'issuer')?.trim() ?? DEFAULT_ISSUER);
      }
    });
  });
});
