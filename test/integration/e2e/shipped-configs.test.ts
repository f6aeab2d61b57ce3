/**
 * Every config file wasmgate ships (deploy/**) decides with vulnerability data: a module with a Critical advisory is
 * denied under each, and each denies when its vulnerability data cannot be had.
 *
 * Each test loads the shipped file as it is and overrides ONLY what this offline test environment requires:
 *  - `trust` ← the embedded default's trust (the demo trusted root and the seed's identities, relative paths made
 *    absolute): the modules in demo/store are signed by the demo Sigstore instance, not the public-good one the
 *    shipped files trust, and the public-good instance cannot sign test modules offline;
 *  - `vulnerability_db.refresh.url` ← a loopback server serving the shipped RustSec export (demo/osv): no internet
 *    (schedule, max_age and required stay as shipped);
 *  - `persistence_directory` ← a temporary directory (the shipped default is relative to the config file).
 * Registries, listeners, integrations and everything else stay as shipped; the module comes from the demo OCI layout.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../../src/config/defaults.ts';
import { checkInProcess } from '../../support/e2e.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO_STORE = join(REPO, 'demo/store');
const OSV_ZIP = join(REPO, 'demo/osv/rustsec-osv-all.zip');

/** The shipped wasmgate configs: plain files, and the `config.yaml` of a Kubernetes ConfigMap. */
const SHIPPED: ReadonlyArray<{ file: string; configMap?: string }> = [
  { file: 'deploy/github/wasmgate-trust.yaml' },
  { file: 'deploy/systemd/config.yaml' },
  { file: 'deploy/wasmcloud/wasmgate.yaml' },
  { file: 'deploy/kubernetes/wasm-app-with-wasmgate.yaml', configMap: 'payments-wasmgate' },
  { file: 'deploy/kubernetes/gatekeeper/wasmgate-provider.yaml', configMap: 'wasmgate-config' },
];

type Doc = Record<string, unknown>;
const isRecord = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const WASMGATE_KEYS = ['trust', 'registries', 'vulnerability_db', 'decision', 'listeners'];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** The wasmgate configs inside one file: the file itself, or ConfigMaps' `config.yaml`. */
function configsIn(text: string): Array<{ configMap?: string; text: string }> {
  const out: Array<{ configMap?: string; text: string }> = [];
  for (const doc of parseAllDocuments(text)) {
    const value: unknown = doc.toJS();
    if (!isRecord(value)) continue;
    if (value.kind === 'ConfigMap' && isRecord(value.data) && typeof value.data['config.yaml'] === 'string') {
      out.push({ configMap: String((value.metadata as Doc | undefined)?.name), text: value.data['config.yaml'] });
    } else if (value.kind === undefined && WASMGATE_KEYS.some((k) => k in value)) {
      out.push({ text });
    }
  }
  return out;
}

function shippedConfig(entry: { file: string; configMap?: string }): Doc {
  const found = configsIn(readFileSync(join(REPO, entry.file), 'utf8')).find((c) => c.configMap === entry.configMap);
  if (!found) throw new Error(`${entry.file}: no wasmgate config${entry.configMap ? ` in ConfigMap ${entry.configMap}` : ''}`);
  return parse(found.text) as Doc;
}

/** The embedded default's trust with its relative paths (trusted roots, key files) made absolute. */
function demoTrust(): Doc {
  const trust = structuredClone((parse(EMBEDDED_DEFAULT_CONFIG_YAML) as Doc).trust) as Doc;
  const abs = (p: unknown): unknown => (typeof p === 'string' && p !== 'public-good' && p !== 'none' && !isAbsolute(p) ? join(REPO, p) : p);
  if (Array.isArray(trust.trusted_roots)) trust.trusted_roots = trust.trusted_roots.map(abs);
  if (Array.isArray(trust.keys)) trust.keys = trust.keys.map((k: unknown) => (isRecord(k) && typeof k.path === 'string' ? { ...k, path: abs(k.path) } : k));
  return trust;
}

let server: Server;
let osvUrl: string;
let downloads = 0;
let work: string;

beforeAll(async () => {
  const zip = await readFile(OSV_ZIP);
  server = createServer((_req, res) => {
    downloads++;
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(zip.byteLength), etag: '"demo"' }).end(zip);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  osvUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/crates.io/all.zip`;
  work = await mkdtemp(join(tmpdir(), 'wasmgate-shipped-'));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});

/** Writes the shipped config with the test overrides; returns its path. */
async function configFor(entry: { file: string; configMap?: string }, name: string, url: string): Promise<string> {
  const config = shippedConfig(entry);
  const db = config.vulnerability_db;
  if (!isRecord(db) || !isRecord(db.refresh) || typeof db.refresh.url !== 'string') {
    throw new Error(`${entry.file}: expected vulnerability_db.refresh.url (the shipped configs refresh OSV data)`);
  }
  config.trust = demoTrust();
  config.vulnerability_db = { ...db, refresh: { ...db.refresh, url } };
  config.persistence_directory = join(work, name, 'state');
  const path = join(work, `${name}.yaml`);
  await writeFile(path, stringify(config));
  return path;
}

const decide = checkInProcess;

describe('the shipped configs', () => {
  it('are all listed here: every wasmgate config under deploy/ (files and ConfigMaps) has its end-to-end test', () => {
    const found = yamlFiles(join(REPO, 'deploy')).flatMap((path) =>
      configsIn(readFileSync(path, 'utf8')).map((c) => `${relative(REPO, path)}${c.configMap ? `#${c.configMap}` : ''}`),
    );
    expect(found.sort()).toEqual(SHIPPED.map((e) => `${e.file}${e.configMap ? `#${e.configMap}` : ''}`).sort());
  });

  for (const [i, entry] of SHIPPED.entries()) {
    const label = `${entry.file}${entry.configMap ? ` (ConfigMap ${entry.configMap})` : ''}`;

    it(`${label}: requires fresh vulnerability data, as shipped`, () => {
      const db = shippedConfig(entry).vulnerability_db as Doc;
      expect(db.required ?? true).toBe(true);
      expect(db.max_age).toMatch(/^[0-9]+[smhd]$/);
    });

    it(`${label}: a module with a Critical advisory is denied (exit 1), the clean module allowed`, async () => {
      const config = await configFor(entry, `ok-${i}`, osvUrl);
      const before = downloads;
      const vulnerable = await decide(`oci:${DEMO_STORE}:vulnerable`, config);
      expect(vulnerable.out).toMatch(/^DENY /);
      expect(vulnerable.out).toContain('WASM module SBOM contains 1 critical vulnerabilities.');
      expect(vulnerable.code).toBe(1);
      expect(downloads).toBeGreaterThan(before); // the data came from the configured refresh URL
      const clean = await decide(`oci:${DEMO_STORE}:payments`, config);
      expect(clean.out).toMatch(/^ALLOW /);
      expect(clean.code).toBe(0);
    }, 120_000);

    it(`${label}: without its vulnerability data (the refresh URL unreachable), even the clean module is denied`, async () => {
      const config = await configFor(entry, `down-${i}`, 'http://127.0.0.1:9/crates.io/all.zip');
      const clean = await decide(`oci:${DEMO_STORE}:payments`, config);
      expect(clean.out).toMatch(/^UNDECIDED \(deny\)/);
      expect(clean.out).toContain('vulnerability_db_unavailable');
      expect(clean.code).toBe(2);
    }, 120_000);
  }
});
