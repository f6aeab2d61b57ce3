/**
 * Hostile files in OCI layouts and layout references from hostile callers (issue 21 items 3 and 7, issue 13
 * item 8): FIFOs and links where layout files belong, a blob linked to a secret outside the layout, a blobs
 * directory that leads outside, references that leave `registries.layouts` (paths, `..`, symlinks), and hundreds
 * of spellings of one directory. The CLI keeps reading any layout its user names.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { cp, link, mkdir, mkdtemp, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentCache } from '../../src/collect/cache.ts';
import { createCollector, type Collector } from '../../src/collect/collect.ts';
import { createLocalDecider } from '../../src/cli/runtime.ts';
import { createSilentLogger } from '../../src/common/logger.ts';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from '../../src/config/defaults.ts';
import { parseConfig } from '../../src/config/load.ts';
import { startService, type RunningService } from '../../src/server/service.ts';
import { createPipelineWiring } from '../../src/wiring/pipeline-wiring.ts';
import { errorOf, rejectionCode } from '../support/errors.ts';
import { attackLog, problems } from './support/attacks.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const log = attackLog('security-layouts', 'Security: hostile OCI layouts and layout references (issue 21 items 3, 7; issue 13 item 8)', 'test/security/layouts.test.ts');
const SECRET_SIZE = 7919;

let base: string;
let root: string;
let outside: string;
let secretHash: string;
let payments: string;
const fifos: string[] = [];

/** A copy of demo/store at `dir`. */
async function store(dir: string): Promise<string> {
  await cp(join(REPO, 'demo/store'), dir, { recursive: true });
  return dir;
}
const blobPath = (dir: string, digest: string): string => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'wg-sec-layouts-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  const secret = randomBytes(SECRET_SIZE);
  secretHash = createHash('sha256').update(secret).digest('hex');
  await writeFile(join(outside, 'secret'), secret, { mode: 0o600 });
  const index = JSON.parse(await readFile(join(REPO, 'demo/store/index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  payments = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'payments')!.digest;
  await store(join(root, 'store'));
  await store(join(outside, 'store'));
});

afterAll(async () => {
  log.flush();
  // release any reader still parked on a FIFO (a build without O_NONBLOCK would hang there)
  for (const f of fifos) {
    try {
      closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader left
    }
  }
  if (base) await rm(base, { recursive: true, force: true });
});

const leaks = (text: string): string[] => [
  ...(text.includes(secretHash) ? ['the secret file\'s sha256'] : []),
  ...(text.includes(String(SECRET_SIZE)) ? ['the secret file\'s size'] : []),
  ...(text.includes(outside) ? ['the path outside the roots'] : []),
];

describe('hostile layout files (collector confined to the root)', () => {
  let collector: Collector;
  beforeAll(() => {
    collector = createCollector({ layoutRoots: [root], cache: false, limits: { deadlineMs: 5000 } });
  });
  afterAll(async () => collector.close());

  it('refuses a FIFO as oci-layout or index.json without parking the file-system workers', async () => {
    const p = problems();
    const attempts: Array<Promise<string | undefined>> = [];
    for (const name of ['oci-layout', 'index.json']) {
      const dir = await store(join(root, `fifo-${name}`));
      await unlink(join(dir, name));
      execFileSync('mkfifo', [join(dir, name)]);
      fifos.push(join(dir, name));
      // more concurrent attempts than libuv has threads (4)
      for (let i = 0; i < 6; i++) attempts.push(rejectionCode(collector.collect(`oci:${dir}:payments`)));
    }
    const codes = await Promise.all(attempts);
    for (const c of codes) p.check(c === 'LAYOUT_INVALID', `expected LAYOUT_INVALID, got ${c}`);
    const after = await collector.collect(`oci:${join(root, 'store')}:payments`).then(() => 'ok', (e: unknown) => String(e));
    p.check(after === 'ok', `a good layout after the FIFOs: ${after}`);
    log.attack('FIFO as oci-layout / index.json, 12 concurrent decisions', 'each refused at once as not a regular file (LAYOUT_INVALID); a good layout decides right after', p.list, codes.length);
  });

  it('refuses links to /dev/zero as oci-layout, index.json or a blob', async () => {
    const p = problems();
    const cases: Array<[string, (dir: string) => string]> = [
      ['oci-layout', (dir) => join(dir, 'oci-layout')],
      ['index.json', (dir) => join(dir, 'index.json')],
      ['manifest blob', (dir) => blobPath(dir, payments)],
    ];
    for (const [what, file] of cases) {
      const dir = await store(join(root, `zero-${what.replace(' ', '-')}`));
      await unlink(file(dir));
      await symlink('/dev/zero', file(dir));
      const err = await errorOf(collector.collect(`oci:${dir}@${payments}`));
      p.check(err.code === 'LAYOUT_INVALID', `${what}: expected LAYOUT_INVALID, got ${err.code}`);
    }
    p.check(process.memoryUsage().rss < 1024 * 1024 * 1024, `RSS grew to ${process.memoryUsage().rss} bytes`);
    log.attack('symbolic link to /dev/zero as oci-layout, index.json and a manifest blob', 'refused (not followed: O_NOFOLLOW), nothing read', p.list, cases.length);
  });

  it('never echoes the hash or size of a file outside the layout linked in as a blob', async () => {
    const p = problems();
    // the module's manifest blob as a symlink, then as a hard link, to the secret
    for (const kind of ['symlink', 'hard link'] as const) {
      const dir = await store(join(root, `leak-${kind.replace(' ', '-')}`));
      await unlink(blobPath(dir, payments));
      if (kind === 'symlink') await symlink(join(outside, 'secret'), blobPath(dir, payments));
      else await link(join(outside, 'secret'), blobPath(dir, payments));
      const err = await errorOf(collector.collect(`oci:${dir}@${payments}`));
      p.check(err.code === 'LAYOUT_INVALID' || err.code === 'DIGEST_MISMATCH', `${kind}: unexpected ${err.code}`);
      for (const l of leaks(`${err.message} ${JSON.stringify(err.details ?? {})}`)) p.check(false, `${kind} manifest blob: the error discloses ${l}`);
    }
    // an evidence blob: collection goes on, the warning tells nothing about the target
    const dir = await store(join(root, 'leak-evidence'));
    const manifest = JSON.parse(await readFile(blobPath(dir, payments), 'utf8')) as { layers: Array<{ digest: string }> };
    const referrer = (await collector.collect(`oci:${dir}@${payments}`)).evidence[0]!;
    expect(manifest.layers.length).toBeGreaterThan(0);
    await unlink(blobPath(dir, referrer.layer.digest));
    await symlink(join(outside, 'secret'), blobPath(dir, referrer.layer.digest));
    const c = await createCollector({ layoutRoots: [root], cache: false }).collect(`oci:${dir}@${payments}`);
    for (const l of leaks(JSON.stringify(c.warnings))) p.check(false, `evidence blob: a warning discloses ${l}`);
    p.check(!c.evidence.some((e) => e.layer.digest === referrer.layer.digest), 'the linked evidence blob was used');
    log.attack('manifest and evidence blobs linked (symlink, hard link) to a secret file outside the layout', 'refused or digest mismatch; no message names the file\'s sha256, size or path', p.list, 3);
  });

  it('refuses a blobs directory that leads outside the layout', async () => {
    const dir = await store(join(root, 'blobs-link'));
    await rename(join(dir, 'blobs'), join(outside, 'moved-blobs'));
    await symlink(join(outside, 'moved-blobs'), join(dir, 'blobs'));
    const err = await errorOf(collector.collect(`oci:${dir}@${payments}`));
    const p = problems();
    p.check(err.code === 'LAYOUT_INVALID', `expected LAYOUT_INVALID, got ${err.code}`);
    for (const l of leaks(err.message)) p.check(false, `the error discloses ${l}`);
    log.attack('blobs/ is a symbolic link to a directory outside the root', 'refused (LAYOUT_INVALID); the target is not named', p.list);
  });

  it('shares one store among hundreds of spellings of one directory (no rescans, bounded memory)', async () => {
    await symlink(join(root, 'store'), join(root, 'alias'));
    const spellings = new Set<string>();
    for (let i = 0; spellings.size < 300; i++) {
      const dots = './'.repeat(i % 17);
      const slashes = '/'.repeat(1 + (i % 5));
      spellings.add([`${root}${slashes}${dots}store`, `${root}/x${i}/../${dots}store/`, `${root}/${dots}alias${slashes}`][i % 3]!);
    }
    const stores = new Set<unknown>();
    for (const s of spellings) {
      await collector.collect(`oci:${s}@${payments}`);
      stores.add(collector.storeFor(`oci:${s}`));
    }
    const p = problems();
    p.check(stores.size === 1, `${spellings.size} spellings made ${stores.size} stores`);
    // the content cache holds one copy of each blob, whatever the spelling
    const cache = new ContentCache();
    const cached = createCollector({ layoutRoots: [root], cache });
    const [first, ...rest] = [...spellings];
    await cached.collect(`oci:${first!}@${payments}`);
    const misses = cache.stats.misses;
    for (const s of rest.slice(0, 50)) await cached.collect(`oci:${s}@${payments}`);
    p.check(cache.stats.misses === misses, `50 more spellings missed the content cache ${cache.stats.misses - misses} times`);
    await cached.close();
    log.attack(`${spellings.size} spellings of one layout directory (./, //, x/.., a symlink)`, 'one store (realpath), one referrers scan, one copy of each blob in the content cache', p.list, spellings.size);
  });
});

describe('layout references from the API (registries.layouts)', () => {
  let service: RunningService;
  let url: string;
  beforeAll(async () => {
    await symlink(outside, join(root, 'escape'));
    const yaml = EMBEDDED_DEFAULT_CONFIG_YAML.replace('layouts: [demo/store]', `layouts: [demo/store, ${JSON.stringify(root)}]`);
    const config = parseConfig(yaml, { overrides: { addr: '127.0.0.1:0' }, env: {} });
    expect(config.registries.layouts).toEqual(['demo/store', root]);
    service = await startService({ config, wire: createPipelineWiring({ baseDir: REPO }), logger: createSilentLogger(), env: {} });
    url = `http://${service.addresses[0]!}/v1/data/wasm/sbom`;
  });
  afterAll(async () => service?.stop());

  const ask = async (ref: string): Promise<{ status: number; text: string; json: { result?: { allow: boolean; deny: string[] }; message?: string } }> => {
    const res = await fetch(url, { method: 'POST', body: JSON.stringify({ input: { module: { ref } } }) });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) as { result?: { allow: boolean; deny: string[] }; message?: string } };
  };

  it('answers refs inside the roots', async () => {
    expect((await ask(`oci:${join(root, 'store')}:payments`)).json.result?.allow).toBe(true);
    expect((await ask('oci:demo/store:payments')).json.result?.allow).toBe(true);
  });

  it('refuses refs outside the roots with a 400 that names no path beyond what the caller wrote', async () => {
    const refs = [
      'oci:/etc:passwd',
      `oci:/etc@${payments}`,
      `oci:${join(outside, 'store')}:payments`, // a valid layout, outside
      `oci:${root}/../outside/store:payments`, // .. out of the root
      `oci:${join(root, 'escape', 'store')}:payments`, // a symlink inside the root leading out
      `oci:${REPO}test:x`, // the repository itself: only demo/store of it is allowed
      'oci:/nonexistent-wasmgate-probe:x', // missing and outside look alike
    ];
    const p = problems();
    for (const ref of refs) {
      const r = await ask(ref);
      p.check(r.status === 400, `${ref}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      p.check(/registries\.layouts/.test(r.json.message ?? ''), `${ref}: message ${r.json.message}`);
      if (ref.includes('escape')) for (const l of leaks(r.text)) p.check(false, `${ref}: the answer discloses ${l}`);
    }
    log.attack('API layout refs outside registries.layouts: /etc, a valid layout outside, .., a symlink out, a missing path', 'HTTP 400 naming registries.layouts; a symlink\'s target is never named; missing and present paths answer alike', p.list, refs.length);
  });

  it('never discloses a linked secret in a deny reason', async () => {
    const dir = join(root, 'leak-api');
    await store(dir);
    await unlink(blobPath(dir, payments));
    await symlink(join(outside, 'secret'), blobPath(dir, payments));
    const r = await ask(`oci:${dir}@${payments}`);
    const p = problems();
    p.check(r.status === 200 && r.json.result?.allow === false, `HTTP ${r.status} ${r.text.slice(0, 200)}`);
    for (const l of leaks(r.text)) p.check(false, `the answer discloses ${l}`);
    log.attack('API decision on a layout whose manifest blob links to a secret file', 'deny (module_not_found); no hash, size or path of the file in the answer', p.list);
  });
});

describe('the CLI', () => {
  it('reads any layout its user names (no roots)', async () => {
    const local = await createLocalDecider(undefined);
    try {
      const d = await local.decider.decide({ ref: `oci:${join(outside, 'store')}:payments` });
      expect(d.errors).toEqual([]);
      expect(d.allow).toBe(true);
    } finally {
      await local.close();
    }
  });
});
