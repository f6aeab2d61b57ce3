import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createDockerConfigCredentials, isLoopbackHost, matchesHost, parseChallenge, parseManifestDocument, parseRetryAfter, verifyDigest, sha256Digest,
} from '../../../src/registry/index.ts';
import { codeOf, rejectionCode } from '../../support/errors.ts';

describe('parseChallenge', () => {
  it('returns realm, service and scope of a Bearer challenge', () => {
    expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull"')).toEqual({
      scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:acme/app:pull' },
    });
  });
  it('returns a Basic challenge', () => {
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
  });
  it('returns undefined for other schemes', () => {
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

describe('hosts', () => {
  it('recognises loopback hosts', () => {
    for (const h of ['localhost:5000', '127.0.0.1', '127.1.2.3:80', '[::1]:5000', 'localhost']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['ghcr.io', '10.0.0.1:5000', 'localhost.evil.com', '128.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });
  it('matches allow-list patterns', () => {
    expect(matchesHost('ghcr.io', ['ghcr.io'])).toBe(true);
    expect(matchesHost('ghcr.io:443', ['ghcr.io'])).toBe(true);
    expect(matchesHost('reg.example.com:5000', ['reg.example.com:5000'])).toBe(true);
    expect(matchesHost('reg.example.com:5001', ['reg.example.com:5000'])).toBe(false);
    expect(matchesHost('a.b.example.com', ['*.example.com'])).toBe(true);
    expect(matchesHost('example.com', ['*.example.com'])).toBe(false);
    expect(matchesHost('evilghcr.io', ['ghcr.io'])).toBe(false);
  });
});

describe('parseManifestDocument', () => {
  const layer = { mediaType: 'application/wasm', digest: `sha256:${'1'.repeat(64)}`, size: 3 };
  const config = { mediaType: 'application/vnd.wasm.config.v0+json', digest: `sha256:${'2'.repeat(64)}`, size: 2 };
  const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
  it('returns a manifest with its subject', () => {
    const doc = parseManifestDocument(enc({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer], subject: layer }), undefined);
    expect(doc).toMatchObject({ kind: 'manifest', layers: [layer], subject: layer });
  });
  it('returns an index', () => {
    const doc = parseManifestDocument(enc({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [layer] }), undefined);
    expect(doc.kind).toBe('index');
  });
  it('throws MANIFEST_INVALID for bad digests, bad JSON and disagreeing media types', () => {
    expect(codeOf(() => parseManifestDocument(enc({ schemaVersion: 2, config, layers: [{ ...layer, digest: 'sha256:xyz' }] }), undefined))).toBe('MANIFEST_INVALID');
    expect(codeOf(() => parseManifestDocument(new TextEncoder().encode('{'), undefined))).toBe('MANIFEST_INVALID');
    expect(codeOf(() => parseManifestDocument(enc({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [] }), 'application/vnd.oci.image.index.v1+json'))).toBe('MANIFEST_INVALID');
  });
  it('throws SIZE_LIMIT_EXCEEDED for more than 1000 layers', () => {
    expect(codeOf(() => parseManifestDocument(enc({ schemaVersion: 2, config, layers: Array.from({ length: 1001 }, () => layer) }), undefined))).toBe('SIZE_LIMIT_EXCEEDED');
  });
});

describe('verifyDigest', () => {
  it('throws DIGEST_MISMATCH for other content', () => {
    const bytes = new TextEncoder().encode('hello');
    expect(() => verifyDigest(bytes, sha256Digest(bytes), 'x')).not.toThrow();
    expect(codeOf(() => verifyDigest(bytes, `sha256:${'0'.repeat(64)}`, 'x'))).toBe('DIGEST_MISMATCH');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('createDockerConfigCredentials', () => {
  it('reads auths, credHelpers and credsStore', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmgate-dockercfg-'));
    const bin = join(dir, 'bin');
    await import('node:fs/promises').then((fs) => fs.mkdir(bin));
    // a real executable speaking the credential-helper protocol
    const helper = join(bin, 'docker-credential-wgtest');
    await writeFile(helper, '#!/bin/sh\nread host\nif [ "$host" = "helper.example" ]; then echo \'{"ServerURL":"helper.example","Username":"hu","Secret":"hs"}\'; exit 0; fi\necho "credentials not found in native keychain"; exit 1\n');
    await chmod(helper, 0o755);
    await writeFile(join(dir, 'config.json'), JSON.stringify({
      auths: { 'plain.example': { auth: Buffer.from('user:pa:ss').toString('base64') }, 'https://index.docker.io/v1/': { auth: Buffer.from('hub:secret').toString('base64') }, 'tok.example': { identitytoken: 'refresh' } },
      credHelpers: { 'helper.example': 'wgtest', 'missing.example': 'wgtest' },
    }));
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath ?? ''}`;
    try {
      const creds = createDockerConfigCredentials({ dir });
      expect(await creds.get('plain.example')).toMatchObject({ kind: 'basic', username: 'user', password: 'pa:ss' });
      expect(await creds.get('docker.io')).toMatchObject({ kind: 'basic', username: 'hub' });
      expect(await creds.get('tok.example')).toMatchObject({ kind: 'identity-token', identityToken: 'refresh' });
      expect(await creds.get('helper.example')).toMatchObject({ kind: 'basic', username: 'hu', password: 'hs' });
      expect(await creds.get('missing.example')).toBeUndefined();
      expect(await creds.get('nothing.example')).toBeUndefined();
    } finally {
      process.env.PATH = oldPath;
    }
  });

  it('throws REGISTRY_UNAUTHORIZED naming a helper that cannot run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmgate-dockercfg-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ credsStore: 'does-not-exist-wg' }));
    expect(await rejectionCode(createDockerConfigCredentials({ dir }).get('x.example'))).toBe('REGISTRY_UNAUTHORIZED');
  });

  it('returns undefined when there is no config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmgate-dockercfg-'));
    expect(await createDockerConfigCredentials({ dir }).get('x.example')).toBeUndefined();
  });
});
