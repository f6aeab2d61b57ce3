import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatch, deltaManifest, isDeltaBundle, parseDelta } from '../../../../src/policy/bundles/delta.ts';
import type { BundleManifest } from '../../../../src/policy/engine/types.ts';

const enc = new TextEncoder();
const files = (entries: Record<string, unknown>): Map<string, Uint8Array> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, enc.encode(typeof v === 'string' ? v : JSON.stringify(v))]));

describe('delta bundle patch.json', () => {
  const data = { roles: { admin: ['alice'], dev: ['bob', 'carol'] }, limits: { max: 3 } };

  it('upserts (creating parents), replaces and removes, without touching the input', () => {
    const frozen = structuredClone(data);
    const out = applyPatch(frozen, [
      { op: 'upsert', path: '/roles/ops/leads', value: ['dan'] },
      { op: 'upsert', path: '/roles/dev/-', value: 'erin' },
      { op: 'upsert', path: '/roles/dev/0', value: 'zed' },
      { op: 'replace', path: '/limits/max', value: 9 },
      { op: 'remove', path: '/roles/admin' },
      { op: 'upsert', path: '/a~1b/c~0d', value: true },
    ], ['']);
    expect(out).toEqual({ roles: { ops: { leads: ['dan'] }, dev: ['zed', 'bob', 'carol', 'erin'] }, limits: { max: 9 }, 'a/b': { 'c~d': true } });
    expect(frozen).toEqual(data);
    const proto = applyPatch({}, [{ op: 'upsert', path: '/__proto__/polluted', value: 1 }], ['']);
    expect(JSON.stringify(proto)).toBe('{"__proto__":{"polluted":1}}');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('wipes all data on an empty list; refuses paths outside the roots and missing targets', () => {
    expect(applyPatch(data, [], ['roles'])).toEqual({});
    expect(() => applyPatch(data, [{ op: 'upsert', path: '/limits/max', value: 1 }], ['roles'])).toThrow(/outside the bundle roots/);
    expect(() => applyPatch(data, [{ op: 'upsert', path: '/rolesx/a', value: 1 }], ['roles'])).toThrow(/outside the bundle roots/);
    expect(() => applyPatch(data, [{ op: 'replace', path: '/roles/none', value: 1 }], [''])).toThrow(/does not exist/);
    expect(() => applyPatch(data, [{ op: 'remove', path: '/roles/dev/7' }], [''])).toThrow(/does not exist/);
    expect(() => applyPatch(data, [{ op: 'upsert', path: 'roles', value: 1 }], [''])).toThrow(/JSON pointer/);
  });

  it('upsert then read back yields the value; remove then read back yields nothing (property)', () => {
    const seg = fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s !== '-' && !/^[0-9]+$/.test(s));
    const esc = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
    fc.assert(fc.property(fc.array(seg, { minLength: 1, maxLength: 4 }), fc.jsonValue(), (path, value) => {
      const pointer = `/${path.map(esc).join('/')}`;
      const out = applyPatch({ keep: 1 }, [{ op: 'upsert', path: pointer, value }], ['']);
      let node: unknown = out;
      for (const s of path) node = (node as Record<string, unknown>)[s];
      expect(node).toEqual(value);
      const removed = applyPatch(out, [{ op: 'remove', path: pointer }], ['']);
      let parent: unknown = removed;
      for (const s of path.slice(0, -1)) parent = (parent as Record<string, unknown>)[s];
      expect(Object.hasOwn(parent as object, path.at(-1) as string)).toBe(false);
    }), { seed: 11, numRuns: 200 });
  });

  it('parses patch.json and refuses policy files, signatures and bad operations', () => {
    const f = files({ 'patch.json': { data: [{ op: 'upsert', path: '/a', value: 1 }] }, '.manifest': { revision: 'r2' } });
    expect(isDeltaBundle(f)).toBe(true);
    expect(parseDelta(f)).toEqual({ operations: [{ op: 'upsert', path: '/a', value: 1 }], manifest: { revision: 'r2' } });
    expect(isDeltaBundle(files({ 'data.json': {} }))).toBe(false);
    for (const extra of ['x/data.yaml', 'p.rego', 'policy.wasm', 'plan.json']) {
      expect(() => parseDelta(files({ 'patch.json': { data: [] }, [extra]: '{}' }))).toThrow(extra);
    }
    expect(() => parseDelta(files({ 'patch.json': { data: [] }, '.signatures.json': '{}' }))).toThrow(/cannot be signed/);
    expect(() => parseDelta(files({ 'patch.json': { data: [{ op: 'upsert', path: '/a' }] } }))).toThrow(/needs a "value"/);
    expect(() => parseDelta(files({ 'patch.json': { patches: [] } }))).toThrow(/must be/);
    expect(() => parseDelta(files({ 'patch.json': '{nope' }))).toThrow(/not valid JSON/);
  });

  it('keeps the snapshot roots and wasm, takes the delta revision', () => {
    const active: BundleManifest = { revision: 'r1', roots: ['roles', 'limits'], wasm: [{ entrypoint: 'authz/allow', module: '/policy.wasm' }] };
    expect(deltaManifest({ operations: [] }, active)).toEqual({ ...active, revision: '' });
    expect(deltaManifest({ operations: [], manifest: { revision: 'r2', roots: ['limits', '/roles/'] } }, active)).toEqual({ ...active, revision: 'r2' });
    expect(() => deltaManifest({ operations: [], manifest: { roots: ['roles'] } }, active)).toThrow(/roots/);
    expect(() => deltaManifest({ operations: [], manifest: { roots: ['roles', 'limits'], wasm: [] } }, active)).toThrow(/wasm/);
  });
});
