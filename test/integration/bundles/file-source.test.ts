import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBundleManager } from '../../../src/policy/bundles/index.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import { execFileAsync, nextActivation, opaBuild, tempDir } from './support.ts';

describe.skipIf(missingOutsideCi('opa'))('a directory bundle source', () => {
  it('packs the unpacked bundle directory, then reloads it when a file in it changes', async () => {
    const dir = await tempDir('dirsrc');
    const built = join(dir, 'a.tar.gz');
    await opaBuild({ fixture: 'swap-a', revision: 'dir-1', out: built });
    const bundleDir = join(dir, 'bundle');
    await execFileAsync('mkdir', ['-p', bundleDir]);
    await execFileAsync('tar', ['xzf', built, '-C', bundleDir]);
    await cp(join(import.meta.dirname, '..', '..', 'fixtures', 'bundles', 'swap-a', 'tests'), join(bundleDir, 'tests'), { recursive: true });
    const manager = createBundleManager({
      config: { bundles: { swap: { resource: `file://${bundleDir}`, persist: false, size_limit_bytes: 16 * 1024 * 1024, trigger: 'periodic' } } },
      debounceMs: 20,
    });
    await manager.start();
    try {
      expect(manager.active()?.revision).toBe('dir-1');
      expect(manager.active()?.evaluate('swap/answer', { n: 1 })).toMatchObject({ result: { limit: 1.5 } });
      const next = nextActivation(manager, (r) => r === 'dir-2');
      await writeFile(join(bundleDir, 'data.json'), JSON.stringify({ swap: { config: { limit: 7 } } }));
      await writeFile(join(bundleDir, '.manifest'), JSON.stringify({ revision: 'dir-2', roots: ['swap'], wasm: [{ entrypoint: 'swap', module: '/policy.wasm' }, { entrypoint: 'swap/answer', module: '/policy.wasm' }] }));
      await next;
      expect(manager.active()?.evaluate('swap/answer', { n: 1 })).toMatchObject({ result: { limit: 7 } });
      expect(manager.status().swap).toMatchObject({ active_revision: 'dir-2', activated_from: 'source' });
    } finally {
      await manager.stop();
    }
  });
});
