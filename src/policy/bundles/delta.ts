import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { messageOf } from '../../common/error.ts';
import type { BundleManifest } from '../engine/types.ts';
import { bundleError } from './error.ts';
import { isUnder } from './roots.ts';
import { isRecord as isObject } from '../../common/is-record.ts';

/**
 * OPA delta bundles (v1/bundle/bundle.go, docs management-bundles "Delta
 * Bundles"): a bundle holding only `patch.json`
 * `{"data": [{"op": "upsert"|"remove"|"replace", "path": "/json/pointer", "value"?: …}]}`
 * and optionally `.manifest`. The patch is applied to a copy of the active
 * snapshot's data; the caller then loads that data into a fresh instance of
 * the same compiled policy (a full setData).
 */

export const PATCH_FILE = 'patch.json';

export interface PatchOperation {
  op: 'upsert' | 'remove' | 'replace';
  /** JSON pointer into `data`, e.g. /swap/config/limit */
  path: string;
  value?: unknown;
}

export interface DeltaBundle {
  operations: PatchOperation[];
  /** the parsed .manifest fields the delta carries, undefined without a .manifest */
  manifest?: Record<string, unknown>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const POLICY_FILE = /(^|\/)(data\.(json|ya?ml)|[^/]+\.rego|[^/]+\.wasm|plan\.json)$/;

/** True when the bundle files make a delta bundle (it has patch.json). */
export function isDeltaBundle(files: ReadonlyMap<string, Uint8Array>): boolean {
  return files.has(PATCH_FILE);
}

/**
 * Reads a delta bundle's patch and manifest. Refuses a delta that carries
 * policy, wasm or data files, a signature (deltas cannot be signed), or a
 * malformed patch.
 */
export function parseDelta(files: ReadonlyMap<string, Uint8Array>): DeltaBundle {
  for (const name of files.keys()) {
    if (name === '.signatures.json') {
      throw bundleError('BUNDLE_DELTA_INVALID', 'delta bundle carries .signatures.json, but delta bundles cannot be signed; serve a signed snapshot bundle instead');
    }
    if (POLICY_FILE.test(name)) {
      throw bundleError('BUNDLE_DELTA_INVALID', `delta bundle contains /${name}; a delta bundle may hold only patch.json and .manifest (serve policy and data changes as a snapshot bundle)`);
    }
  }
  const doc = parseJson(files.get(PATCH_FILE) as Uint8Array, PATCH_FILE);
  if (!isObject(doc) || !Array.isArray(doc.data)) {
    throw bundleError('BUNDLE_DELTA_INVALID', 'delta bundle patch.json must be {"data": [{"op": "upsert", "path": "/a/b", "value": …}, …]}');
  }
  const operations = doc.data.map((raw: unknown, i: number): PatchOperation => {
    const where = `patch.json data[${i}]`;
    if (!isObject(raw)) throw bundleError('BUNDLE_DELTA_INVALID', `${where} is not an object`);
    const { op, path } = raw;
    if (op !== 'upsert' && op !== 'remove' && op !== 'replace') {
      throw bundleError('BUNDLE_DELTA_INVALID', `${where} has op ${JSON.stringify(op)}; use upsert, remove or replace`);
    }
    if (typeof path !== 'string') throw bundleError('BUNDLE_DELTA_INVALID', `${where} needs a string "path" (a JSON pointer such as /roles/admin)`);
    if (op !== 'remove' && !Object.hasOwn(raw, 'value')) throw bundleError('BUNDLE_DELTA_INVALID', `${where} (${op} ${path}) needs a "value"`);
    return op === 'remove' ? { op, path } : { op, path, value: raw.value };
  });
  const manifestBytes = files.get('.manifest');
  if (manifestBytes === undefined) return { operations };
  const manifest = parseJson(manifestBytes, '.manifest');
  if (!isObject(manifest)) throw bundleError('BUNDLE_DELTA_INVALID', 'delta bundle .manifest must be a JSON object');
  return { operations, manifest };
}

/**
 * The manifest a delta leaves active: the snapshot's roots and wasm (a delta
 * whose manifest names others is refused) with the delta's revision and metadata.
 */
export function deltaManifest(delta: DeltaBundle, active: BundleManifest): BundleManifest {
  const m = delta.manifest;
  if (m === undefined) return { ...active, revision: '' };
  const roots = m.roots ?? [''];
  if (!isDeepStrictEqual(normaliseRoots(roots), normaliseRoots(active.roots))) {
    throw bundleError('BUNDLE_DELTA_INVALID', `delta bundle roots ${JSON.stringify(roots)} differ from the active snapshot's roots ${JSON.stringify(active.roots)}; a delta must keep the snapshot's roots`);
  }
  if (Object.hasOwn(m, 'wasm')) {
    const wasm = Array.isArray(m.wasm) ? m.wasm.map((w: unknown) => (isObject(w) ? { entrypoint: trim(String(w.entrypoint)), module: trim(String(w.module)) } : w)) : m.wasm;
    const own = active.wasm.map((w) => ({ entrypoint: trim(w.entrypoint), module: trim(w.module) }));
    if (!isDeepStrictEqual(wasm, own)) {
      throw bundleError('BUNDLE_DELTA_INVALID', "delta bundle .manifest wasm resolvers differ from the active snapshot's; a delta cannot change the policy (serve a snapshot bundle)");
    }
  }
  if (m.revision !== undefined && typeof m.revision !== 'string') throw bundleError('BUNDLE_DELTA_INVALID', 'delta bundle .manifest revision must be a string');
  const out: BundleManifest = { ...active, revision: m.revision ?? '' };
  if (isObject(m.metadata)) out.metadata = m.metadata;
  return out;
}

/**
 * Applies the operations to a deep copy of `data` (OPA's rules: an empty list
 * wipes all data; upsert creates missing parent objects and adds or replaces;
 * replace and remove need the target to exist; every path must lie under the
 * roots). Returns the new data document.
 */
export function applyPatch(data: unknown, operations: readonly PatchOperation[], roots: readonly string[]): Record<string, unknown> {
  if (operations.length === 0) return {};
  const root: Record<string, unknown> = isObject(data) ? structuredClone(data) : {};
  for (const [i, o] of operations.entries()) {
    const segs = parsePointer(o.path, i);
    const slash = segs.join('/');
    if (!roots.some((r) => isUnder(slash, r))) {
      throw bundleError('BUNDLE_DELTA_INVALID', `patch.json data[${i}] ${o.op}s ${o.path}, outside the bundle roots [${roots.join(', ')}]`);
    }
    if (segs.length === 0) {
      if (o.op === 'remove') {
        for (const k of Object.keys(root)) delete root[k];
        continue;
      }
      if (!isObject(o.value)) throw bundleError('BUNDLE_DELTA_INVALID', `patch.json data[${i}] sets the whole data document to a non-object`);
      for (const k of Object.keys(root)) delete root[k];
      Object.assign(root, structuredClone(o.value));
      continue;
    }
    let node: unknown = root;
    for (const [d, seg] of segs.slice(0, -1).entries()) {
      const next = child(node, seg);
      if (next === undefined) {
        if (o.op !== 'upsert' || !isObject(node)) throw missing(i, o, segs.slice(0, d + 1));
        put(node, seg, {});
        node = node[seg];
      } else if (next !== null && typeof next === 'object') node = next;
      else throw missing(i, o, segs.slice(0, d + 1));
    }
    const last = segs[segs.length - 1] as string;
    if (Array.isArray(node)) {
      const idx = last === '-' && o.op === 'upsert' ? node.length : arrayIndex(last, node.length + (o.op === 'upsert' ? 1 : 0));
      if (idx === undefined) throw missing(i, o, segs);
      if (o.op === 'upsert') node.splice(idx, 0, structuredClone(o.value));
      else if (o.op === 'replace') node[idx] = structuredClone(o.value);
      else node.splice(idx, 1);
    } else if (isObject(node)) {
      const exists = Object.hasOwn(node, last);
      if (o.op !== 'upsert' && !exists) throw missing(i, o, segs);
      if (o.op === 'remove') delete node[last];
      else put(node, last, structuredClone(o.value));
    } else throw missing(i, o, segs);
  }
  return root;
}

/** A digest naming the patched result: the snapshot digest chained with the delta bytes. */
export function deltaDigest(previous: string, bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(previous).update(bytes).digest('hex')}`;
}

/** RFC 6901: "" and "/" are the root; ~1 is "/", ~0 is "~". */
function parsePointer(path: string, i: number): string[] {
  if (path === '' || path === '/') return [];
  if (!path.startsWith('/')) throw bundleError('BUNDLE_DELTA_INVALID', `patch.json data[${i}] path ${JSON.stringify(path)} is not a JSON pointer; start it with "/"`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Sets an own property (also for keys such as __proto__, which plain assignment would treat specially). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function child(node: unknown, seg: string): unknown {
  if (Array.isArray(node)) {
    const idx = arrayIndex(seg, node.length);
    return idx === undefined ? undefined : node[idx];
  }
  return isObject(node) && Object.hasOwn(node, seg) ? node[seg] : undefined;
}

function arrayIndex(seg: string, length: number): number | undefined {
  if (!/^(0|[1-9][0-9]*)$/.test(seg)) return undefined;
  const n = Number(seg);
  return n < length ? n : undefined;
}

function missing(i: number, o: PatchOperation, at: readonly string[]): Error {
  return bundleError('BUNDLE_DELTA_INVALID', `patch.json data[${i}] cannot ${o.op} ${o.path}: /${at.join('/')} does not exist (or is not an object or array) in the active data`);
}

function normaliseRoots(roots: unknown): unknown {
  return Array.isArray(roots) ? roots.map((r) => (typeof r === 'string' ? trim(r) : r)).sort() : roots;
}

function trim(p: string): string {
  return p.split('/').filter((s) => s !== '').join('/');
}

function parseJson(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (err) {
    throw bundleError('BUNDLE_DELTA_INVALID', `delta bundle ${name} is not valid JSON: ${messageOf(err)}`, { cause: err });
  }
}
