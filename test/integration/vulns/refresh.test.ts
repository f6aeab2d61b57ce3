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

describe('VulnDatabase age and usability (vulnerability_db.max_age)', () => {
  const HOUR = 3_600_000;

  it('a refreshed database is as old as its last download or 304; past max_age it is stale, a 304 makes it current again', async () => {
    served = { body: rustsecZip, etag: '"age"' };
    const dir = await tempDir();
    let now = Date.parse('2026-12-01T00:00:00Z');
    const db = await open(dir, { maxAgeMs: HOUR, now: () => now });
    expect(db.problem()).toMatchObject({ code: 'vulnerability_db_unavailable' });
    await db.start(); // nothing on disk: downloads at once
    expect(db.status()).toMatchObject({ state: 'OK', origin: 'download', source: url, records: 1206, age_seconds: 0, max_age_seconds: 3600, stale: false });
    expect(db.problem()).toBeNull();
    now += 2 * HOUR;
    expect(db.status()).toMatchObject({ state: 'ERROR', stale: true, age_seconds: 7200 });
    expect(db.problem()).toMatchObject({ code: 'vulnerability_db_stale', message: expect.stringContaining('2h old') });
    expect((await db.refresh()).status).toBe('not-modified');
    expect(db.problem()).toBeNull();
    expect(db.status().as_of).toBe(new Date(now).toISOString());

    // a restart keeps the time of the last confirmation (not the restart time, not the records' date)
    now += HOUR / 2;
    const restarted = await open(dir, { maxAgeMs: HOUR, now: () => now });
    expect(restarted.status()).toMatchObject({ origin: 'last_good_copy', source: url, age_seconds: 1800, stale: false });
    now += HOUR;
    expect(restarted.problem()).toMatchObject({ code: 'vulnerability_db_stale' });
  });

  it('a static source is as old as its newest record', async () => {
    const dir = await tempDir();
    const db = await VulnDatabase.open({ persistenceDirectory: dir, initialPath: `${fixtures}rustsec-osv-all.zip`, maxAgeMs: HOUR, now: () => Date.parse('2026-08-21T07:00:00Z') });
    holders.push(db);
    expect(db.status()).toMatchObject({ origin: 'file', as_of: '2026-08-21T06:28:40.000Z', age_seconds: 1880, stale: false });
  });

  it('a path that cannot be loaded does not stop the holder: it reports the error and the data is unavailable', async () => {
    const dir = await tempDir();
    const db = await VulnDatabase.open({ persistenceDirectory: dir, initialPath: join(dir, 'missing.zip') });
    holders.push(db);
    expect(db.status()).toMatchObject({ state: 'ERROR', records: 0, last_error: expect.stringContaining('missing.zip') });
    expect(db.problem()).toMatchObject({ code: 'vulnerability_db_unavailable', message: expect.stringContaining('could not be loaded') });
  });
});
