import { parse as parseYaml } from 'yaml';
import { messageOf } from '../../common/error.ts';
import { engineError } from './error.ts';
import type { BundleManifest } from './types.ts';
import { isRecord as isPlainObject } from '../../common/is-record.ts';

export interface BundleContents {
  manifest: BundleManifest;
  /** merged data documents (data.json / data.yaml at their directory paths) */
  data: Record<string, unknown>;
  /** the single wasm module every manifest entrypoint names */
  wasm: Uint8Array;
  /** entrypoints the manifest declares */
  entrypoints: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads `.manifest`, the data files and `policy.wasm` out of a bundle's files. */
export function toBundleContents(files: ReadonlyMap<string, Uint8Array>): BundleContents {
  const manifestBytes = files.get('.manifest');
  if (manifestBytes === undefined) {
    throw engineError('BUNDLE_MANIFEST_MISSING', 'bundle has no .manifest; build it with `opa build -t wasm -b …` (wasmgate bundle build)');
  }
  const manifest = parseManifest(manifestBytes);
  const entrypoints = manifest.wasm.map((w) => w.entrypoint);
  if (entrypoints.length === 0) {
    throw engineError('BUNDLE_ENTRYPOINT_MISSING', 'bundle .manifest declares no wasm entrypoints; build it with `opa build -t wasm -e <entrypoint>`');
  }
  const modules = new Set(manifest.wasm.map((w) => stripSlash(w.module)));
  if (modules.size !== 1) {
    throw engineError('BUNDLE_MANIFEST_INVALID', `bundle .manifest names ${modules.size} wasm modules; wasmgate evaluates bundles with exactly one`);
  }
  const modulePath = [...modules][0] as string;
  const wasm = files.get(modulePath);
  if (wasm === undefined) {
    throw engineError('BUNDLE_WASM_MISSING', `bundle .manifest names wasm module /${modulePath} but the bundle does not contain it`);
  }
  return { manifest, data: mergeData(files), wasm, entrypoints };
}

function parseManifest(bytes: Uint8Array): BundleManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(bytes));
  } catch (err) {
    throw engineError('BUNDLE_MANIFEST_INVALID', `bundle .manifest is not valid JSON: ${messageOf(err)}`, { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw engineError('BUNDLE_MANIFEST_INVALID', 'bundle .manifest must be a JSON object');
  }
  const m = raw as Record<string, unknown>;
  const revision = m.revision ?? '';
  if (typeof revision !== 'string') throw engineError('BUNDLE_MANIFEST_INVALID', 'bundle .manifest revision must be a string');
  const roots = m.roots ?? [''];
  if (!Array.isArray(roots) || !roots.every((r) => typeof r === 'string')) {
    throw engineError('BUNDLE_MANIFEST_INVALID', 'bundle .manifest roots must be an array of strings');
  }
  const wasm = m.wasm ?? [];
  if (!Array.isArray(wasm)) throw engineError('BUNDLE_MANIFEST_INVALID', 'bundle .manifest wasm must be an array');
  const resolvers = wasm.map((w: unknown, i) => {
    const e = w as Record<string, unknown> | null;
    if (e === null || typeof e !== 'object' || typeof e.entrypoint !== 'string' || typeof e.module !== 'string') {
      throw engineError('BUNDLE_MANIFEST_INVALID', `bundle .manifest wasm[${i}] needs string fields entrypoint and module`);
    }
    const out: BundleManifest['wasm'][number] = { entrypoint: normalisePath(e.entrypoint), module: e.module };
    if (Array.isArray(e.annotations)) out.annotations = e.annotations;
    return out;
  });
  const manifest: BundleManifest = { revision, roots: roots as string[], wasm: resolvers };
  if (typeof m.rego_version === 'number') manifest.rego_version = m.rego_version;
  if (m.metadata !== null && typeof m.metadata === 'object' && !Array.isArray(m.metadata)) {
    manifest.metadata = m.metadata as Record<string, unknown>;
  }
  return manifest;
}

/** Merges every data.json / data.yaml / data.yml into one document at its directory path. */
function mergeData(files: ReadonlyMap<string, Uint8Array>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const names = [...files.keys()].filter((n) => /(^|\/)data\.(json|ya?ml)$/.test(n)).sort();
  for (const name of names) {
    const text = utf8.decode(files.get(name) as Uint8Array);
    let doc: unknown;
    try {
      doc = name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      throw engineError('BUNDLE_DATA_INVALID', `bundle data file /${name} does not parse: ${messageOf(err)}`, { cause: err });
    }
    const dir = name.split('/').slice(0, -1);
    if (dir.length === 0 && (doc === null || typeof doc !== 'object' || Array.isArray(doc))) {
      throw engineError('BUNDLE_DATA_INVALID', `bundle data file /${name} must hold a JSON object`);
    }
    let node = root;
    for (const seg of dir) {
      const next = node[seg];
      if (next === undefined) node[seg] = {};
      else if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        throw engineError('BUNDLE_DATA_INVALID', `bundle data file /${name} conflicts with data at ${dir.join('/')}`);
      }
      node = node[seg] as Record<string, unknown>;
    }
    if (dir.length === 0) mergeInto(root, doc as Record<string, unknown>, name);
    else {
      const key = dir[dir.length - 1] as string;
      let parent = root;
      for (const seg of dir.slice(0, -1)) parent = parent[seg] as Record<string, unknown>;
      if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) mergeInto(parent[key] as Record<string, unknown>, doc as Record<string, unknown>, name);
      else parent[key] = doc;
    }
  }
  return root;
}

function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>, file: string): void {
  for (const [k, v] of Object.entries(src)) {
    const cur = target[k];
    if (cur === undefined) target[k] = v;
    else if (isPlainObject(cur) && isPlainObject(v)) mergeInto(cur, v, file);
    else throw engineError('BUNDLE_DATA_INVALID', `bundle data file /${file} sets key ${k} that another data file already sets`);
  }
}

function stripSlash(p: string): string {
  return p.replace(/^\/+/, '');
}

/** `/wasm/sbom/` → `wasm/sbom`. */
export function normalisePath(p: string): string {
  return p.split('/').filter((s) => s !== '').join('/');
}
