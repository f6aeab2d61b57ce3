/**
 * Media types, annotation keys and payload types of OCI, cosign, Sigstore and in-toto have one home,
 * src/oci/media-types.ts: no other source file spells one as a string literal.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, MEDIA_TYPES } from '../../../src/oci/media-types.ts';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');
const HOME = join(SRC, 'oci', 'media-types.ts');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** a quoted OCI / Docker / wasm / cosign / Sigstore-bundle / DSSE / in-toto media type, cosign evidence annotation or statement type */
const SPELLED = /['"`](application\/(vnd\.(oci|docker|dev\.cosign|dev\.sigstore\.bundle|dsse|in-toto|wasm|module\.wasm)[^'"`]*|wasm)|dev\.sigstore\.cosign\/[^'"`]*|https:\/\/in-toto\.io\/Statement\/[^'"`]*)['"`]/g;

const code = (file: string): string => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

describe('oci/media-types: one home', () => {
  it('holds every value once', () => {
    const values = [...Object.values(MEDIA_TYPES), ...Object.values(ANNOTATIONS)];
    expect(new Set(values).size).toBe(values.length);
  });

  it('is the only source file that spells an OCI, cosign, Sigstore or in-toto media type', () => {
    const elsewhere = sources(SRC)
      .filter((f) => f !== HOME)
      .flatMap((f) => [...code(f).matchAll(SPELLED)].map((m) => `${relative(SRC, f)}: ${m[0]}`));
    expect(elsewhere).toEqual([]);
  });

  it('finds a spelled-out media type (the check can fail)', () => {
    expect("const t = 'application/vnd.oci.image.manifest.v1+json';".match(SPELLED)).not.toBeNull();
    expect('const a = "dev.sigstore.cosign/certificate";'.match(SPELLED)).not.toBeNull();
  });
});
