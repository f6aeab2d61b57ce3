import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestTag, formatReference, InvalidReferenceError, parseReference, registryApiHost, repositoryName } from '../../../src/resolve/index.ts';
import { codeOf } from '../../support/errors.ts';

const D = `sha256:${'ab'.repeat(32)}`;

describe('parseReference', () => {
  describe('when the reference names a registry', () => {
    it.each([
      ['ghcr.io/acme/app:1.2.3', { registry: 'ghcr.io', repository: 'acme/app', tag: '1.2.3' }],
      [`ghcr.io/acme/app@${D}`, { registry: 'ghcr.io', repository: 'acme/app', digest: D }],
      [`ghcr.io/acme/app:1.0@${D}`, { registry: 'ghcr.io', repository: 'acme/app', tag: '1.0', digest: D }],
      ['localhost:5000/mod:v1', { registry: 'localhost:5000', repository: 'mod', tag: 'v1' }],
      ['localhost/mod', { registry: 'localhost', repository: 'mod', tag: 'latest' }],
      ['127.0.0.1:41234/wasm/module:v1', { registry: '127.0.0.1:41234', repository: 'wasm/module', tag: 'v1' }],
      ['[::1]:5000/a/b:c', { registry: '[::1]:5000', repository: 'a/b', tag: 'c' }],
      ['alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
      ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
      ['acme/app', { registry: 'docker.io', repository: 'acme/app', tag: 'latest' }],
      ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
      ['index.docker.io/acme/app:1', { registry: 'docker.io', repository: 'acme/app', tag: '1' }],
      ['Registry.Example.com:443/a__b/c-d.e:T_1', { registry: 'registry.example.com:443', repository: 'a__b/c-d.e', tag: 'T_1' }],
    ])('parses %s', (text, expected) => {
      const ref = parseReference(text);
      expect(ref).toMatchObject({ kind: 'registry', original: text, ...expected });
      if (!('digest' in expected)) expect(ref.digest).toBeUndefined();
    });

    it('maps Docker Hub to its API host', () => {
      expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
      expect(registryApiHost('ghcr.io')).toBe('ghcr.io');
    });
  });

  describe('when the reference names an OCI layout', () => {
    it.each([
      ['oci:/var/lib/modules:v1', { dir: '/var/lib/modules', tag: 'v1' }],
      ['oci:./layout', { dir: './layout' }],
      [`oci:layout@${D}`, { dir: 'layout', digest: D }],
      [`oci:/a/b@c@${D}`, { dir: '/a/b@c', digest: D }],
    ])('parses %s', (text, expected) => {
      expect(parseReference(text)).toMatchObject({ kind: 'oci-layout', ...expected });
    });

    it('names the layout as the repository', () => {
      expect(repositoryName(parseReference('oci:/x:v1'))).toBe('oci:/x');
    });
  });

  describe('when the reference is malformed', () => {
    it.each([
      '', 'UPPER/case', 'ghcr.io/acme/app:', 'ghcr.io/acme/app@sha256:abc', `ghcr.io/acme/app@sha512:${'a'.repeat(128)}`,
      'ghcr.io//app', 'ghcr.io/acme/app:-bad', 'oci:', 'oci::tag', `oci:@${D}`, 'oci:/x:bad tag', 'a'.repeat(5000),
      `ghcr.io/acme/app@${D.toUpperCase()}`, 'ghcr.io/-x/app', `x.io/${'a'.repeat(260)}`,
    ])('throws INVALID_REFERENCE for %j', (text) => {
      expect(() => parseReference(text)).toThrow(InvalidReferenceError);
      expect(codeOf(() => parseReference(text))).toBe('INVALID_REFERENCE');
    });
  });
});

describe('digestTag', () => {
  it('returns cosign and referrers tag names', () => {
    expect(digestTag(D)).toBe(`sha256-${'ab'.repeat(32)}`);
    expect(digestTag(D, 'sig')).toBe(`sha256-${'ab'.repeat(32)}.sig`);
  });
});

// property tests: fixed seed, bounded runs
const FC = { seed: 20261125, numRuns: 300 };
const lowerAlnum = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const component = fc.tuple(lowerAlnum, fc.option(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--'), lowerAlnum), { nil: undefined }))
  .map(([a, rest]) => (rest ? `${a}${rest[0]}${rest[1]}` : a));
const host = fc.oneof(
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), fc.constantFrom('.io', '.example.com', '.local')).map(([a, b]) => `${a}${b}`),
  fc.integer({ min: 1, max: 65535 }).map((p) => `127.0.0.1:${p}`),
  fc.integer({ min: 1, max: 65535 }).map((p) => `localhost:${p}`),
);
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/);
const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`);

describe('parseReference (properties)', () => {
  it('round-trips every valid registry reference through formatReference', () => {
    fc.assert(fc.property(host, fc.array(component, { minLength: 1, maxLength: 4 }), fc.option(tag, { nil: undefined }), fc.option(digest, { nil: undefined }), (h, path, t, d) => {
      const text = `${h}/${path.join('/')}${t !== undefined ? `:${t}` : ''}${d !== undefined ? `@${d}` : ''}`;
      const ref = parseReference(text);
      expect(ref.kind).toBe('registry');
      if (ref.kind !== 'registry') return;
      expect(ref.registry).toBe(h);
      expect(ref.repository).toBe(path.join('/'));
      expect(ref.digest).toBe(d);
      expect(ref.tag).toBe(t ?? (d === undefined ? 'latest' : undefined));
      const again = parseReference(formatReference(ref));
      expect({ ...again, original: '' }).toEqual({ ...ref, original: '' });
    }), FC);
  });

  it('either parses or throws INVALID_REFERENCE for arbitrary text, never anything else', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      const code = codeOf(() => parseReference(text));
      expect(code === undefined || code === 'INVALID_REFERENCE').toBe(true);
    }), FC);
  });

  it('keeps the digest of any oci layout reference', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9/._-]{1,40}$/), digest, (dir, d) => {
      const ref = parseReference(`oci:${dir}@${d}`);
      expect(ref).toMatchObject({ kind: 'oci-layout', dir, digest: d });
    }), FC);
  });
});
