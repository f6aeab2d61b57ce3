import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentCache } from '../../../src/collect/index.ts';
import { orderCandidates } from '../../../src/collect/discover.ts';
import { RegistryError, sha256Digest } from '../../../src/registry/index.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('ContentCache', () => {
  it('shares one fetch between concurrent callers', async () => {
    const cache = new ContentCache();
    let calls = 0;
    const fetch = async (): Promise<{ bytes: Uint8Array }> => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return { bytes: bytes('abc') };
    };
    const d = sha256Digest(bytes('abc'));
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.get('s', d, fetch)));
    expect(calls).toBe(1);
    expect(results.every((r) => Buffer.from(r.bytes).toString() === 'abc')).toBe(true);
    expect(cache.stats.shared).toBe(9);
  });

  it('does not cache failures', async () => {
    const cache = new ContentCache();
    const d = sha256Digest(bytes('x'));
    await expect(cache.get('s', d, async () => { throw new RegistryError('REGISTRY_UNREACHABLE', 'down'); })).rejects.toThrow('down');
    const ok = await cache.get('s', d, async () => ({ bytes: bytes('x') }));
    expect(Buffer.from(ok.bytes).toString()).toBe('x');
  });

  it('evicts least recently used entries beyond its byte bound', async () => {
    const cache = new ContentCache({ maxBytes: 10 });
    const put = (s: string): Promise<unknown> => cache.get('s', sha256Digest(bytes(s)), async () => ({ bytes: bytes(s) }));
    await put('aaaa');
    await put('bbbb');
    await put('aaaa'); // a is now most recent
    await put('cccc'); // evicts b
    expect(cache.size).toBeLessThanOrEqual(10);
    let fetched = false;
    await cache.get('s', sha256Digest(bytes('bbbb')), async () => { fetched = true; return { bytes: bytes('bbbb') }; });
    expect(fetched).toBe(true);
    fetched = false;
    await cache.get('s', sha256Digest(bytes('cccc')), async () => { fetched = true; return { bytes: bytes('cccc') }; });
    expect(fetched).toBe(false);
  });

  it('scopes entries by store and repository', async () => {
    const cache = new ContentCache();
    const d = sha256Digest(bytes('z'));
    await cache.get('repo-a', d, async () => ({ bytes: bytes('z') }));
    let fetched = false;
    await cache.get('repo-b', d, async () => { fetched = true; return { bytes: bytes('z') }; });
    expect(fetched).toBe(true);
  });

  it('reads back from disk, and ignores a tampered disk copy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmgate-cache-'));
    const d = sha256Digest(bytes('disk'));
    await new ContentCache({ dir }).get('s', d, async () => ({ bytes: bytes('disk'), mediaType: 'text/plain' }));
    const second = new ContentCache({ dir });
    const entry = await second.get('s', d, async () => { throw new Error('should come from disk'); });
    expect(Buffer.from(entry.bytes).toString()).toBe('disk');
    expect(entry.mediaType).toBe('text/plain');
    const [scopeDir] = await readdir(dir);
    await writeFile(join(dir, scopeDir ?? '', d.replace(':', '-')), 'evil');
    let refetched = false;
    await new ContentCache({ dir }).get('s', d, async () => { refetched = true; return { bytes: bytes('disk') }; });
    expect(refetched).toBe(true);
  });
});

describe('orderCandidates', () => {
  const desc = (n: number, created?: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${String(n).repeat(64).slice(0, 64)}`, size: 1, ...(created ? { annotations: { 'org.opencontainers.image.created': created } } : {}) });
  it('returns newest first, undated ones latest-listed first, without duplicates', () => {
    const c = (n: number, created?: string) => ({ attachedTo: 'sha256:x', discoveredVia: 'referrers-api' as const, descriptor: desc(n, created) });
    const ordered = orderCandidates([c(1), c(2, '2026-01-01T00:00:00Z'), c(3), c(4, '2026-06-01T00:00:00Z'), c(2, '2026-01-01T00:00:00Z')]);
    expect(ordered.map((o) => o.descriptor?.digest[7])).toEqual(['4', '2', '3', '1']);
  });
});
