/**
 * The architecture as a test: the folders of src/ form layers, and no import runs from a lower layer to a higher
 * one, or in a circle. The import graph is read from the sources (every static `import`/`export … from` and
 * dynamic `import()` of a relative path, type-only imports included: a type is a dependency too).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SRC = join(ROOT, 'src');

/**
 * Lowest first. A module may import from its own layer's folders and from lower layers, never from a higher one.
 * common: errors, logging, paths; contract: the input document every stage fills or reads; oci: the OCI types
 * and the artifact store interface that registry, collect, analyse and policy share; status: the component status
 * registry and metrics every long-lived part reports to; services: the one client per configured service (URL,
 * TLS, credentials) that bundles, decision logs and status uploads share; wiring: the composition root (builds the pipeline for
 * `serve` and the one-shot commands); cli last.
 */
export const LAYERS: ReadonlyArray<readonly string[]> = [
  ['common'],
  ['contract', 'oci'],
  ['config', 'status', 'services'],
  ['resolve'],
  ['registry'],
  ['collect'],
  ['verify', 'analyse'],
  ['assemble'],
  ['policy'],
  ['decide'],
  ['logs', 'cache'],
  ['integrations', 'ui'],
  ['server'],
  ['wiring'],
  ['cli'],
];

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') || p.endsWith('.json') ? [p] : [];
  });
}

/** `src/<folder>/…` → folder; a file directly under src/ is its own folder (main.ts). */
const folderOf = (file: string): string => relative(SRC, file).split('/')[0]!.replace(/\.ts$/, '');

export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    if (file.endsWith('.json')) {
      graph.set(file, []); // data imported with `with { type: 'json' }`: a leaf
      continue;
    }
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const targets = new Set<string>();
    for (const m of text.matchAll(/\b(?:import|export)\s[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)'|\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)|^\s*import\s+'(\.{1,2}\/[^']+)'/gm)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      targets.add(resolve(dirname(file), spec));
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(relative(ROOT, w));
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('architecture: layers and cycles', () => {
  const graph = importGraph();

  it('knows every folder of src/', () => {
    const unknown = [...new Set([...graph.keys()].map(folderOf))].filter((f) => !rank.has(f));
    expect(unknown).toEqual([]);
  });

  it('has every relative import resolve to a file of src/', () => {
    const dangling = [...graph].flatMap(([from, tos]) => tos.filter((t) => !graph.has(t)).map((t) => `${relative(ROOT, from)} -> ${relative(ROOT, t)}`));
    expect(dangling).toEqual([]);
  });

  it('imports only from its own layer or lower ones', () => {
    const upward = [...graph].flatMap(([from, tos]) => tos
      .filter((t) => (rank.get(folderOf(t)) ?? -1) > (rank.get(folderOf(from)) ?? Infinity))
      .map((t) => `${relative(ROOT, from)} -> ${relative(ROOT, t)}`));
    expect(upward).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });
});
