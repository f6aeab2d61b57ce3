/**
 * Issue 21 item 6: YAML request bodies. The depth was checked after the parser had
 * built its (recursive) tree: a 520 KB body of nested `[` held the event loop for
 * seconds. The depth is now bounded from the lexer's tokens before parsing: a deep
 * document is refused with the depth error even when it is also malformed (the old
 * code answered with the parser's own error, after the work was done).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yamlDepthExceeds } from '../../src/server/opa-api/body.ts';
import type { RunningService } from '../../src/server/index.ts';
import { createFakeBundle } from '../support/fake-bundle.ts';
import { createFakeDecider } from '../support/fake-decider.ts';
import { startTestService } from '../support/service.ts';
import fc from 'fast-check';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

let svc: RunningService & { url: string };

beforeAll(async () => {
  svc = await startTestService({ decider: createFakeDecider(), bundle: createFakeBundle() });
});
afterAll(async () => svc.stop());

const postYaml = async (path: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(`${svc.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-yaml' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('YAML request bodies (issue 21 item 6)', () => {
  it.each([
    ['520 KB of nested flow sequences', `input: ${'['.repeat(520_000)}`],
    ['nested flow mappings', `input: ${'{a: '.repeat(100_000)}`],
    ['compact nested block sequences', `input:\n  ${'- '.repeat(200_000)}x\n`],
    ['deeply indented block mappings', `input:\n${Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} x\n`],
  ])('refuses %s with the depth error, before parsing', async (_name, body) => {
    for (const path of ['/v1/data/test/echo', '/v0/data/test/echo', '/']) {
      const r = await postYaml(path, body);
      expect(r.status, path).toBe(400);
      expect(r.json.message, path).toMatch(/nested too deeply.*max_depth/);
    }
  });

  it('still answers a YAML input as OPA does', async () => {
    const r = await postYaml('/v1/data/test/echo', 'input:\n  name: alice\n  list: [1, {a: [2]}]\n');
    expect(r.status).toBe(200);
    expect(r.json.result).toEqual({ name: 'alice', list: [1, { a: [2] }] });
  });

  it('property: the bound never under-counts the parsed depth', () => {
    const depthOf = (v: unknown): number => (typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
    const tree: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      node: fc.oneof({ maxDepth: 6 }, fc.integer(), fc.string({ maxLength: 3 }), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }).filter((k) => /^[a-z]+$/.test(k)), tie('node'), { maxKeys: 3 })),
    })).node;
    fc.assert(fc.property(tree, fc.boolean(), (v, flow) => {
      const text = stringifyYaml(v, flow ? { collectionStyle: 'flow' } : {});
      const depth = depthOf(parseYaml(text));
      if (depth > 0) expect(yamlDepthExceeds(text, depth - 1)).toBe(true);
    }), { numRuns: 300 });
  });
});
