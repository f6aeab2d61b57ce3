import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { globToRegExp, signBundleFiles, verifyBundleSignatures, SIGNATURES_FILE } from '../../../../src/policy/bundles/signatures.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const bundleFiles = (): Map<string, Uint8Array> => new Map([
  ['.manifest', enc('{"revision":"1","roots":["x"]}')],
  ['data.json', enc('{"x":{"n":1.0}}')],
  ['x/policy.rego', enc('package x\n')],
  ['tests/t.json', enc('[]')],
]);

const pair = (kind: 'rsa' | 'ec') => {
  const k = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    priv: k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    pub: k.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
};
const rsa = pair('rsa');
const ec = pair('ec');

async function signed(files: Map<string, Uint8Array>, opts: Parameters<typeof signBundleFiles>[1]): Promise<Map<string, Uint8Array>> {
  const out = new Map(files);
  out.set(SIGNATURES_FILE, enc(await signBundleFiles(files, opts)));
  return out;
}

const code = (c: string) => expect.objectContaining({ code: c });

describe('verifyBundleSignatures', () => {
  describe('OPA\'s decision table', () => {
    it('accepts an unsigned bundle when no verification is configured', async () => {
      await expect(verifyBundleSignatures(bundleFiles(), undefined)).resolves.toEqual({ status: 'unsigned' });
    });

    it('refuses a signed bundle when no verification is configured', async () => {
      const f = await signed(bundleFiles(), { key: rsa.priv });
      await expect(verifyBundleSignatures(f, undefined)).rejects.toThrow(code('BUNDLE_SIGNATURE_UNEXPECTED'));
    });

    it('refuses an unsigned bundle when verification is configured', async () => {
      await expect(verifyBundleSignatures(bundleFiles(), { keys: { k: { algorithm: 'RS256', key: rsa.pub } }, keyid: 'k' })).rejects.toThrow(code('BUNDLE_SIGNATURE_MISSING'));
    });
  });

  for (const [alg, keys] of [['RS256', rsa], ['PS256', rsa], ['ES256', ec]] as const) {
    it(`verifies a ${alg} signature with the algorithm from the key config`, async () => {
      const f = await signed(bundleFiles(), { key: keys.priv, algorithm: alg });
      await expect(verifyBundleSignatures(f, { keys: { k: { algorithm: alg, key: keys.pub } }, keyid: 'k' })).resolves.toMatchObject({ status: 'verified', keyid: 'k', algorithm: alg, files: 4 });
    });
  }

  it('verifies HS256 with the shared secret and takes the key id from the JWT kid', async () => {
    const f = await signed(bundleFiles(), { key: 'secret', algorithm: 'HS256', keyid: 'hmac' });
    await expect(verifyBundleSignatures(f, { keys: { hmac: { algorithm: 'HS256', key: 'secret' } } })).resolves.toMatchObject({ keyid: 'hmac' });
    await expect(verifyBundleSignatures(f, { keys: { hmac: { algorithm: 'HS256', key: 'other' } } })).rejects.toThrow(code('BUNDLE_SIGNATURE_INVALID'));
  });

  it('refuses when the configured algorithm differs from the signature\'s', async () => {
    const f = await signed(bundleFiles(), { key: rsa.priv, algorithm: 'RS256' });
    await expect(verifyBundleSignatures(f, { keys: { k: { algorithm: 'RS512', key: rsa.pub } }, keyid: 'k' })).rejects.toThrow(code('BUNDLE_SIGNATURE_INVALID'));
  });

  it('refuses an empty key id', async () => {
    const f = await signed(bundleFiles(), { key: rsa.priv });
    await expect(verifyBundleSignatures(f, { keys: {} })).rejects.toThrow(/verification key ID is empty/);
  });

  it('checks the scope: signing.scope, else the key\'s scope, against the payload', async () => {
    const f = await signed(bundleFiles(), { key: rsa.priv, scope: 'read' });
    await expect(verifyBundleSignatures(f, { keys: { k: { algorithm: 'RS256', key: rsa.pub, scope: 'read' } }, keyid: 'k' })).resolves.toMatchObject({ scope: 'read' });
    await expect(verifyBundleSignatures(f, { keys: { k: { algorithm: 'RS256', key: rsa.pub } }, keyid: 'k', scope: 'write' })).rejects.toThrow(/scope mismatch/);
    await expect(verifyBundleSignatures(f, { keys: { k: { algorithm: 'RS256', key: rsa.pub } }, keyid: 'k' })).rejects.toThrow(/scope mismatch/);
  });

  it('refuses a changed, added or removed file', async () => {
    const cfg = { keys: { k: { algorithm: 'RS256', key: rsa.pub } }, keyid: 'k' };
    const f = await signed(bundleFiles(), { key: rsa.priv });
    const changed = new Map(f).set('x/policy.rego', enc('package x\nallow := true\n'));
    await expect(verifyBundleSignatures(changed, cfg)).rejects.toThrow(/x\/policy.rego: digest mismatch/);
    const added = new Map(f).set('y.rego', enc('package y'));
    await expect(verifyBundleSignatures(added, cfg)).rejects.toThrow(/y.rego is not listed/);
    const removed = new Map(f);
    removed.delete('tests/t.json');
    await expect(verifyBundleSignatures(removed, cfg)).rejects.toThrow(/missing from the bundle/);
  });

  it('accepts reformatted structured files (canonical hashing) but not reformatted rego', async () => {
    const cfg = { keys: { k: { algorithm: 'RS256', key: rsa.pub } }, keyid: 'k' };
    const f = await signed(bundleFiles(), { key: rsa.priv });
    const reformatted = new Map(f).set('data.json', enc('{\n  "x": { "n": 1.0 }\n}\n'));
    await expect(verifyBundleSignatures(reformatted, cfg)).resolves.toMatchObject({ status: 'verified' });
    const renumbered = new Map(f).set('data.json', enc('{"x":{"n":1}}'));
    await expect(verifyBundleSignatures(renumbered, cfg)).rejects.toThrow(/data.json: digest mismatch/);
  });

  it('skips exclude_files globs', async () => {
    const f = await signed(bundleFiles(), { key: rsa.priv, exclude_files: ['tests/*'] });
    const cfg = { keys: { k: { algorithm: 'RS256', key: rsa.pub } }, keyid: 'k' };
    await expect(verifyBundleSignatures(f, cfg)).rejects.toThrow(/tests\/t.json is not listed/);
    await expect(verifyBundleSignatures(f, { ...cfg, exclude_files: ['tests/*'] })).resolves.toMatchObject({ files: 3 });
  });

  it('refuses .signatures.json with more than one signature', async () => {
    const f = await signed(bundleFiles(), { key: rsa.priv });
    const jws = (JSON.parse(new TextDecoder().decode(f.get(SIGNATURES_FILE))) as { signatures: string[] }).signatures[0] as string;
    f.set(SIGNATURES_FILE, enc(JSON.stringify({ signatures: [jws, jws] })));
    await expect(verifyBundleSignatures(f, { keys: { k: { algorithm: 'RS256', key: rsa.pub } }, keyid: 'k' })).rejects.toThrow(/exactly one signature/);
  });

  it('names an unusable configured key', async () => {
    const f = await signed(bundleFiles(), { key: rsa.priv });
    await expect(verifyBundleSignatures(f, { keys: { k: { algorithm: 'RS256', key: 'not a pem' } }, keyid: 'k' })).rejects.toThrow(code('BUNDLE_KEY_INVALID'));
  });
});

describe('signBundleFiles', () => {
  it('refuses an unsupported algorithm and a key that does not fit', async () => {
    await expect(signBundleFiles(bundleFiles(), { key: rsa.priv, algorithm: 'none' })).rejects.toThrow(code('BUNDLE_SIGN_FAILED'));
    await expect(signBundleFiles(bundleFiles(), { key: rsa.priv, algorithm: 'ES256' })).rejects.toThrow(code('BUNDLE_SIGN_FAILED'));
  });

  it('writes OPA\'s payload shape with extra claims', async () => {
    const text = await signBundleFiles(bundleFiles(), { key: 's', algorithm: 'HS256', claims: { iss: 'ci' } });
    const jws = (JSON.parse(text) as { signatures: string[] }).signatures[0] as string;
    const payload = JSON.parse(Buffer.from(jws.split('.')[1] as string, 'base64url').toString()) as { files: Array<{ name: string; algorithm: string }>; iss: string };
    expect(payload.iss).toBe('ci');
    expect(payload.files.map((f) => f.name)).toEqual(['.manifest', 'data.json', 'tests/t.json', 'x/policy.rego']);
    expect(payload.files.every((f) => f.algorithm === 'SHA-256')).toBe(true);
  });
});

describe('globToRegExp', () => {
  it('matches * within a segment and ** across segments', () => {
    expect(globToRegExp('tests/*').test('tests/a.json')).toBe(true);
    expect(globToRegExp('tests/*').test('tests/a/b.json')).toBe(false);
    expect(globToRegExp('**/*.json').test('a/b/c.json')).toBe(true);
  });
});
