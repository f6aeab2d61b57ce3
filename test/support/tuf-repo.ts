/**
 * A TUF repository on 127.0.0.1 for trust-refresh tests, hand-built to the TUF 1.0 specification (the
 * shape Sigstore's mirror serves and tuf-js verifies): ed25519 keys, canonical-JSON signatures, root /
 * timestamp / snapshot / targets roles (non-consistent snapshots: `timestamp.json`, `snapshot.json`,
 * `targets.json`, `targets/<name>`, and `<N>.root.json` for each root version). Tests can publish targets,
 * rotate the root keys (the new root signed by the old and the new key), and tamper with any file.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { stableStringify } from '../../src/common/stable-json.ts';

interface TufKey { id: string; publicHex: string; privateKey: KeyObject }
type Signed = Record<string, unknown>;
const ROLES = ['root', 'timestamp', 'snapshot', 'targets'] as const;
const SPEC = '1.0.31';

function newKey(): TufKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const publicHex = Buffer.from(raw).toString('hex');
  const id = createHash('sha256').update(stableStringify(keyJson(publicHex))).digest('hex');
  return { id, publicHex, privateKey };
}
function keyJson(publicHex: string): object {
  return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex } };
}
function signDoc(signed: Signed, keys: TufKey[]): Buffer {
  const data = Buffer.from(stableStringify(signed));
  const signatures = keys.map((k) => ({ keyid: k.id, sig: sign(null, data, k.privateKey).toString('hex') }));
  return Buffer.from(JSON.stringify({ signed, signatures }, null, 1));
}
const expires = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface TufRepo {
  /** `http://127.0.0.1:<port>` — the mirror URL */
  url: string;
  /** the initial (version 1) root.json, for `trust.tuf.root` */
  initialRoot: Buffer;
  rootVersion(): number;
  /** publishes targets (name → bytes) with new targets, snapshot and timestamp versions */
  publish(targets: Record<string, Uint8Array | string>): void;
  /** a new root version with a fresh root key, signed by the previous root key and the new one */
  rotateRoot(): void;
  /** replaces a served file's bytes (no re-signing): tampering as a compromised mirror would */
  tamper(path: string, edit: (bytes: Buffer) => Buffer): void;
  requests: string[];
  stop(): Promise<void>;
}

export async function startTufRepo(): Promise<TufRepo> {
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  const keys: Record<(typeof ROLES)[number], TufKey> = { root: newKey(), timestamp: newKey(), snapshot: newKey(), targets: newKey() };
  let rootVersion = 1;
  let version = 0;
  let targets: Record<string, Buffer> = {};

  const rootSigned = (): Signed => ({
    _type: 'root', spec_version: SPEC, version: rootVersion, expires: expires(365), consistent_snapshot: false,
    keys: Object.fromEntries(ROLES.map((r) => [keys[r].id, keyJson(keys[r].publicHex)])),
    roles: Object.fromEntries(ROLES.map((r) => [r, { keyids: [keys[r].id], threshold: 1 }])),
  });
  const writeRoot = (signers: TufKey[]): void => {
    files.set(`/${rootVersion}.root.json`, signDoc(rootSigned(), signers));
    files.set('/root.json', files.get(`/${rootVersion}.root.json`) as Buffer);
  };
  const writeTop = (): void => {
    version += 1;
    const targetsMeta = Object.fromEntries(Object.entries(targets).map(([name, bytes]) => [name, { length: bytes.length, hashes: { sha256: createHash('sha256').update(bytes).digest('hex') } }]));
    files.set('/targets.json', signDoc({ _type: 'targets', spec_version: SPEC, version, expires: expires(30), targets: targetsMeta }, [keys.targets]));
    files.set('/snapshot.json', signDoc({ _type: 'snapshot', spec_version: SPEC, version, expires: expires(7), meta: { 'targets.json': { version } } }, [keys.snapshot]));
    files.set('/timestamp.json', signDoc({ _type: 'timestamp', spec_version: SPEC, version, expires: expires(1), meta: { 'snapshot.json': { version } } }, [keys.timestamp]));
    for (const [name, bytes] of Object.entries(targets)) files.set(`/targets/${name}`, bytes);
  };
  writeRoot([keys.root]);
  const initialRoot = files.get('/1.root.json') as Buffer;

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const body = files.get(path);
    if (body === undefined) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    initialRoot,
    rootVersion: () => rootVersion,
    publish(t) {
      targets = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Buffer.from(v)]));
      writeTop();
    },
    rotateRoot() {
      const old = keys.root;
      keys.root = newKey();
      rootVersion += 1;
      writeRoot([old, keys.root]);
    },
    tamper(path, edit) {
      const bytes = files.get(path);
      if (bytes === undefined) throw new Error(`tuf repo: no file ${path}`);
      files.set(path, edit(bytes));
    },
    requests,
    stop: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
