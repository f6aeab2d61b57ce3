import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strToU8, zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VulnDatabase, VulnError } from '../../../src/analyse/vulns/index.ts';

const fixtures = fileURLToPath(new URL('../../fixtures/vulns/', import.meta.url));

interface Served {
  body: Uint8Array;
  etag: string;
}

let served: Served;
const requests: Array<{ ifNoneMatch: string | undefined }> = [];
let server: Server;
let url: string;
let rustsecZip: Uint8Array;
let smallZip: Uint8Array;

// A loopback OSV export server that honours If-None-Match.
function handler(req: IncomingMessage, res: ServerResponse): void {
  const inm = req.headers['if-none-match'];
  requests.push({ ifNoneMatch: inm });
  if (inm === served.etag) {
    res.writeHead(304, { etag: served.etag }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(served.body.length), etag: served.etag }).end(served.body);
}

beforeAll(async () => {
  rustsecZip = await readFile(`${fixtures}rustsec-osv-all.zip`);
  const files: Record<string, Uint8Array> = {};
  for (const f of await readdir(`${fixtures}osv-linter`)) files[f] = await readFile(`${fixtures}osv-linter/${f}`);
  smallZip = zipSync(files);
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/crates.io/all.zip`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const dirs: string[] = [];
const holders: VulnDatabase[] = [];
afterEach(async () => {
  for (const h of holders.splice(0)) await h.stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  requests.length = 0;
});

async function open(dir: string, extra: Partial<Parameters<typeof VulnDatabase.open>[0]> = {}): Promise<VulnDatabase> {
  const h = await VulnDatabase.open({ persistenceDirectory: dir, url, ...extra });
  holders.push(h);
  return h;
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'wasmgate-vulns-'));
  dirs.push(d);
  return d;
}

async function persistedHash(dir: string): Promise<string> {
  return createHash('sha256').update(await readFile(join(dir, 'vulns', 'osv-export.zip'))).digest('hex');
}

describe('VulnDatabase refresh', () => {
  describe('when the export is fetched for the first time', () => {
    it('validates it, swaps it in, notifies listeners and persists the last good copy', async () => {
      served = { body: rustsecZip, etag: '"v1"' };
      const dir = await tempDir();
      const db = await open(dir, { initialPath: `${fixtures}osv-linter` });
      const initial = db.version;
      expect(db.status().state).toBe('OK');
      const swaps: string[] = [];
      db.onSwap((next, previous) => swaps.push(`${previous?.info.version ?? 'none'}->${next.info.version}`));
      const outcome = await db.refresh();
      expect(outcome.status).toBe('updated');
      expect(db.current?.info.records).toBe(1206);
      expect(db.version).not.toBe(initial);
      expect(swaps).toEqual([`${initial}->${db.version}`]);
      expect(await persistedHash(dir)).toBe(createHash('sha256').update(rustsecZip).digest('hex'));
    });
  });

  describe('when the server answers 304 to the stored ETag', () => {
    it('keeps the database and does not swap', async () => {
      served = { body: rustsecZip, etag: '"v1"' };
      const db = await open(await tempDir());
      await db.refresh();
      const version = db.version;
      let swapped = false;
      db.onSwap(() => {
        swapped = true;
      });
      const outcome = await db.refresh();
      expect(outcome).toEqual({ status: 'not-modified', version });
      expect(requests.at(-1)?.ifNoneMatch).toBe('"v1"');
      expect(swapped).toBe(false);
    });
  });

  describe('when the download is corrupt', () => {
    it('refuses a truncated zip and keeps the old database and its persisted copy', async () => {
      served = { body: rustsecZip, etag: '"v1"' };
      const dir = await tempDir();
      const db = await open(dir);
      await db.refresh();
      const version = db.version;
      const before = await persistedHash(dir);
      served = { body: rustsecZip.subarray(0, Math.floor(rustsecZip.length / 2)), etag: '"v2"' };
      const err = await db.refresh().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VulnError);
      expect(db.version).toBe(version);
      expect(db.status().state).toBe('WARN');
      expect(await persistedHash(dir)).toBe(before);
    });
    it('refuses a zip of records that are not OSV', async () => {
      served = { body: rustsecZip, etag: '"v1"' };
      const db = await open(await tempDir());
      await db.refresh();
      const version = db.version;
      served = { body: zipSync({ 'a.json': strToU8('{"not":"osv"}'), 'b.json': strToU8('nope') }), etag: '"v3"' };
      await expect(db.refresh()).rejects.toMatchObject({ code: 'VULN_DB_EMPTY' });
      expect(db.version).toBe(version);
    });
  });

  describe('when the sidecar restarts', () => {
    it('restores the last good copy and its ETag from the persistence directory', async () => {
      served = { body: rustsecZip, etag: '"v1"' };
      const dir = await tempDir();
      const first = await open(dir);
      await first.refresh();
      const version = first.version;
      const second = await open(dir);
      expect(second.version).toBe(version);
      expect(await second.refresh()).toEqual({ status: 'not-modified', version });
    });
  });

  describe('when scheduled with node-cron', () => {
    it('fetches on schedule and swaps in a changed export', async () => {
      served = { body: smallZip, etag: '"small"' };
      const db = await open(await tempDir(), { schedule: '* * * * * *' });
      expect(db.status().state).toBe('NOT_READY');
      const swapped = new Promise<number>((resolve) => db.onSwap((next) => resolve(next.info.records)));
      db.start();
      expect(await swapped).toBe(11);
      await db.stop();
    });
  });

  it('rejects an invalid cron expression at open', async () => {
    await expect(VulnDatabase.open({ persistenceDirectory: await tempDir(), url, schedule: 'every minute' })).rejects.toMatchObject({ code: 'VULN_DB_REFRESH_ERROR' });
  });
});
