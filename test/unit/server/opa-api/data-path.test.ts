import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalConfiguredPath, resolveDataPath } from '../../../../src/server/opa-api/data-path.ts';

describe('resolveDataPath', () => {
  it('answers the canonical path of a clean spelling, percent-decoded', () => {
    expect(resolveDataPath('')).toEqual({ kind: 'path', path: '' });
    expect(resolveDataPath('/wasm/sbom/allow')).toEqual({ kind: 'path', path: 'wasm/sbom/allow' });
    expect(resolveDataPath('/%77asm/sb%6Fm')).toEqual({ kind: 'path', path: 'wasm/sbom' });
    expect(resolveDataPath('/a%20b/c')).toEqual({ kind: 'path', path: 'a b/c' });
  });
  it('redirects a raw empty, "." or ".." segment (307) and a trailing slash (301), as OPA', () => {
    expect(resolveDataPath('/wasm//sbom/allow')).toEqual({ kind: 'redirect', status: 307, rest: 'wasm/sbom/allow' });
    expect(resolveDataPath('//wasm/sbom')).toEqual({ kind: 'redirect', status: 307, rest: 'wasm/sbom' });
    expect(resolveDataPath('/wasm/./sbom')).toEqual({ kind: 'redirect', status: 307, rest: 'wasm/sbom' });
    expect(resolveDataPath('/wasm/x/../sbom')).toEqual({ kind: 'redirect', status: 307, rest: 'wasm/sbom' });
    expect(resolveDataPath('/../../wasm')).toEqual({ kind: 'redirect', status: 307, rest: 'wasm' });
    expect(resolveDataPath('/wasm/sbom/')).toEqual({ kind: 'redirect', status: 301, rest: 'wasm/sbom' });
    expect(resolveDataPath('/')).toEqual({ kind: 'redirect', status: 301, rest: '' });
  });
  it.each(['/wasm%2F%2Fsbom/allow', '/wasm%2Fsbom', '/wasm/%2E/sbom', '/wasm/%2e%2E/sbom', '/wasm/%2F', '/%E0%A4%A', '/a%ZZ'])('refuses %s with a 400', (raw) => {
    expect(() => resolveDataPath(raw)).toThrow(expect.objectContaining({ status: 400, apiCode: 'invalid_parameter' }));
  });
  it('property: a canonical path has no empty, "." or ".." segment, and resolving its spelling gives it back', () => {
    const seg = fc.oneof(fc.constantFrom('', '.', '..', '%2E', '%2F', 'wasm', 'sbom', '%77'), fc.string({ maxLength: 4 }).map(encodeURIComponent));
    fc.assert(fc.property(fc.array(seg, { maxLength: 6 }), (segs) => {
      let r;
      try {
        r = resolveDataPath(`/${segs.join('/')}`);
      } catch {
        return;
      }
      if (r.kind === 'redirect') {
        // the redirect target is itself stable: one more hop at most gives a path or a 400
        try {
          const again = resolveDataPath(r.rest === '' ? '' : `/${r.rest}`);
          expect(again.kind).toBe('path');
        } catch (err) {
          expect((err as { status: number }).status).toBe(400);
        }
        return;
      }
      if (r.path === '') return;
      for (const s of r.path.split('/')) expect(['', '.', '..']).not.toContain(s);
      expect(resolveDataPath(`/${r.path.split('/').map(encodeURIComponent).join('/')}`)).toEqual(r);
    }), { numRuns: 500 });
  });
});

describe('canonicalConfiguredPath (decision.paths, default_decision, integration paths)', () => {
  it('drops empty segments and refuses dot segments', () => {
    expect(canonicalConfiguredPath('/wasm//sbom/')).toBe('wasm/sbom');
    expect(canonicalConfiguredPath('/system/main')).toBe('system/main');
    expect(() => canonicalConfiguredPath('wasm/../sbom')).toThrow(/dot segments/);
  });
});
