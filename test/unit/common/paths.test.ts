import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, packagePath } from '../../../src/common/paths.ts';
import { embeddedBundlePath } from '../../../src/policy/engine/engine.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('the package root (shipped data resolves from it, from the sources and from dist/)', () => {
  it('is the folder of the package.json named wasmgate', () => {
    expect(PACKAGE_ROOT).toBe(REPO);
    expect((JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string }).name).toBe('wasmgate');
  });

  it('holds every piece of shipped data the code reads, and package.json ships each of them', () => {
    const files = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { files: string[] }).files;
    for (const p of ['bundles/wasm-sbom.tar.gz', 'demo/trusted_root.json', 'demo/osv/rustsec-osv-all.zip', 'demo/store/index.json',
      'src/analyse/vulns/schemas/osv.schema.json', 'src/analyse/sbom/schemas/bom-1.7.schema.json', 'policies/capabilities.json']) {
      expect(existsSync(packagePath(p)), p).toBe(true);
      expect(files.some((f) => p === f || p.startsWith(f.endsWith('/') ? f : `${f}/`)), `package.json files ships ${p}`).toBe(true);
    }
    expect(embeddedBundlePath()).toBe(packagePath('bundles', 'wasm-sbom.tar.gz'));
  });
});
