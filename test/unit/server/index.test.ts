import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRefCheck, jsonDepthExceeds, parseTcpAddress, systemdTargets, toDecisionInput } from '../../../src/server/index.ts';

describe('jsonDepthExceeds', () => {
  it('agrees with the real depth of any JSON value (property)', () => {
    const depth = (v: unknown): number => (typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 9 }), (v, limit) => {
        expect(jsonDepthExceeds(JSON.stringify(v), limit)).toBe(depth(v) > limit);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
  it('ignores brackets inside strings, with escaped quotes', () => {
    expect(jsonDepthExceeds('{"a":"[[[[\\"[[[["}', 1)).toBe(false);
  });
});

describe('createRefCheck', () => {
  const check = createRefCheck({ allow: ['localhost:5000', 'ghcr.io'] });
  it('accepts allowed hosts, OCI layouts and digests', () => {
    expect(check(`ghcr.io/a/b@sha256:${'0'.repeat(64)}`)).toBeNull();
    expect(check('localhost:5000/x:1')).toBeNull();
    expect(check(`oci:/tmp/layout@sha256:${'0'.repeat(64)}`)).toBeNull();
  });
  it('names a malformed digest and a disallowed host', () => {
    expect(check('ghcr.io/a@sha256:zz')?.reason).toBe('invalid_ref');
    expect(check('localhost:5001/x:1')).toMatchObject({ reason: 'host_not_allowed' });
    expect(check('oci:')?.reason).toBe('invalid_ref');
  });
  it('never throws on arbitrary strings (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      check(s);
    }), { seed: 3, numRuns: 500 });
  });
});

describe('toDecisionInput', () => {
  it('returns the ref and request', () => {
    expect(toDecisionInput({ module: { ref: 'r/a:1' }, request: { runtime: 'spin' } }, true, 'wasm/sbom')).toEqual({ ref: 'r/a:1', request: { runtime: 'spin' } });
  });
  it('accepts caller fields beside module.ref (as OPA) and does not pass them on', () => {
    expect(toDecisionInput({ module: { ref: 'r/a:1' }, user: 'alice' }, true, 'wasm/sbom')).toEqual({ ref: 'r/a:1', request: undefined });
  });
  it('answers no ref for no input, {} and an input without module.ref', () => {
    expect(toDecisionInput(undefined, false, 'wasm/sbom').ref).toBeNull();
    expect(toDecisionInput({}, true, 'wasm/sbom').ref).toBeNull();
    expect(toDecisionInput({ module: {} }, true, 'wasm/sbom').ref).toBeNull();
  });
  it('refuses caller evidence, naming every field', () => {
    expect(() => toDecisionInput({ sbom_attestations: [], errors: [], module: { ref: 'r/a:1', digest: 'x' } }, true, 'wasm/sbom')).toThrow(/remove input\.sbom_attestations, input\.errors, input\.module\.digest/);
    expect(() => toDecisionInput({ vulnerability_scan: {} }, true, 'wasm')).toThrow(/data\.wasm is decided on evidence/);
  });
  it('bounds input.request', () => {
    expect(() => toDecisionInput({ module: { ref: 'r/a:1' }, request: { big: 'x'.repeat(20_000) } }, true, 'wasm/sbom')).toThrow(/input\.request is larger/);
  });
});

describe('parseTcpAddress', () => {
  it('parses host:port and [v6]:port', () => {
    expect(parseTcpAddress('127.0.0.1:8181')).toEqual({ host: '127.0.0.1', port: 8181 });
    expect(parseTcpAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseTcpAddress('8181')).toThrow(expect.objectContaining({ code: 'LISTEN_ADDRESS_INVALID' }));
  });
});

describe('systemdTargets', () => {
  it('takes fds 3… only when LISTEN_PID is this process, and clears the variables', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_PID: '42', LISTEN_FDS: '2', LISTEN_FDNAMES: 'http:' };
    expect(systemdTargets(env, 42)).toEqual([{ kind: 'fd', fd: 3, name: 'http' }, { kind: 'fd', fd: 4, name: 'fd4' }]);
    expect(env.LISTEN_FDS).toBeUndefined();
    expect(systemdTargets({ LISTEN_PID: '41', LISTEN_FDS: '1' }, 42)).toEqual([]);
  });
});
