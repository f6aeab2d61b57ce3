import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvidence, type CollectedEvidence } from '../../../src/collect/index.ts';
import { anonymousCredentials, type RegistryClientOptions } from '../../../src/registry/index.ts';
import { createCosignKey, publishSignedModule, type PushedModule } from '../../support/evidence.ts';
import { startFaultProxy, startTestRegistry, type FaultProxy, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import { rejectionCode } from '../../support/errors.ts';

const CLIENT: RegistryClientOptions = { credentials: anonymousCredentials, retries: 2, backoffMs: 10, requestTimeoutMs: 400, maxRetryAfterMs: 2000 };
const DEADLINE_MS = 3000;

describe.skipIf(missingOutsideCi('oras', 'cosign', 'wasmgate-testregistry'))('collectEvidence through a faulty registry', () => {
  let upstream: RunningRegistry;
  let proxy: FaultProxy;
  let a: PushedModule;
  let b: PushedModule;
  let baseline: CollectedEvidence;

  const refA = (): string => `${proxy.host}/wasm/module@${a.digest}`;
  const collect = (ref = refA()): Promise<CollectedEvidence> => collectEvidence(ref, { registry: CLIENT, deadlineMs: DEADLINE_MS, cache: false });
  const count = (fragment: string): number => proxy.requests.filter((r) => r.includes(fragment)).length;

  beforeAll(async () => {
    upstream = await startTestRegistry();
    proxy = await startFaultProxy({ upstream: upstream.host });
    const key = await createCosignKey();
    [a, b] = await Promise.all([publishSignedModule({ registry: upstream.host, key }), publishSignedModule({ registry: upstream.host, key })]);
    baseline = await collect();
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.stop();
  });

  it('returns all three bundles when nothing goes wrong', () => {
    expect(baseline.evidence).toHaveLength(3);
  });

  it('retries 500s and succeeds when the registry recovers', async () => {
    proxy.setFault((req) => (req.path.includes(`/manifests/${a.digest}`) && req.count < 2 ? { kind: 'status', status: 500 } : undefined));
    const c = await collect();
    expect(c.evidence).toHaveLength(3);
    expect(count(`/manifests/${a.digest}`)).toBe(3);
  });

  it('throws REGISTRY_UNREACHABLE when 500s persist', async () => {
    proxy.setFault((req) => (req.path.includes('/referrers/') ? { kind: 'status', status: 500 } : undefined));
    expect(await rejectionCode(collect())).toBe('REGISTRY_UNREACHABLE');
  });

  it('waits for Retry-After on 429 and then succeeds', async () => {
    proxy.setFault((req) => (req.path.includes('/referrers/') && req.count === 0 ? { kind: 'status', status: 429, headers: { 'retry-after': '1' } } : undefined));
    const c = await collect();
    expect(c.evidence).toHaveLength(3);
    expect(count('/referrers/')).toBe(2);
  });

  it('throws REGISTRY_UNREACHABLE at once when Retry-After is longer than it may wait', async () => {
    proxy.setFault((req) => (req.path.includes('/referrers/') ? { kind: 'status', status: 429, headers: { 'retry-after': '3600' } } : undefined));
    expect(await rejectionCode(collect())).toBe('REGISTRY_UNREACHABLE');
    expect(count('/referrers/')).toBe(1);
  });

  it('throws DEADLINE_EXCEEDED when the registry hangs', async () => {
    proxy.setFault((req) => (req.path.includes('/manifests/') ? { kind: 'delay', ms: 10_000 } : undefined));
    expect(await rejectionCode(collect())).toBe('DEADLINE_EXCEEDED');
  });

  it('throws ABORTED when the caller cancels', async () => {
    proxy.setFault((req) => (req.path.includes('/manifests/') ? { kind: 'delay', ms: 10_000 } : undefined));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(await rejectionCode(collectEvidence(refA(), { registry: CLIENT, deadlineMs: DEADLINE_MS, cache: false, signal: controller.signal }))).toBe('ABORTED');
  });

  it('throws DEADLINE_EXCEEDED when the overall deadline passes before the retries are done', async () => {
    proxy.setFault((req) => (req.path.includes('/manifests/') ? { kind: 'delay', ms: 10_000 } : undefined));
    expect(await rejectionCode(collectEvidence(refA(), { registry: { ...CLIENT, requestTimeoutMs: 5000 }, deadlineMs: 300, cache: false }))).toBe('DEADLINE_EXCEEDED');
  });

  it('retries a body cut short, and throws REGISTRY_UNREACHABLE when it stays short', async () => {
    const layer = baseline.evidence[0]?.layer.digest ?? '';
    proxy.setFault((req) => (req.path.includes(`/blobs/${layer}`) && req.count === 0 ? { kind: 'truncate' } : undefined));
    expect((await collect()).evidence).toHaveLength(3);
    proxy.setFault((req) => (req.path.includes(`/blobs/${layer}`) ? { kind: 'truncate' } : undefined));
    expect(await rejectionCode(collect())).toBe('REGISTRY_UNREACHABLE');
  });

  it('follows a blob redirect to another origin (as registries do to a CDN)', async () => {
    const layer = baseline.evidence[2]?.layer.digest ?? '';
    proxy.setFault((req) => (req.path.includes(`/blobs/${layer}`) ? { kind: 'status', status: 307, headers: { location: `${upstream.url}${req.path}` }, body: '' } : undefined));
    // blob storage on another origin is followed only when allow-listed (registries.redirect_hosts)
    expect(await rejectionCode(collect())).toBe('REGISTRY_REDIRECT_REFUSED');
    const c = await collectEvidence(refA(), { registry: { ...CLIENT, redirectHosts: [upstream.host] }, deadlineMs: DEADLINE_MS, cache: false });
    expect(c.evidence).toHaveLength(3);
    expect(count(`/blobs/${layer}`)).toBe(2);
  });

  it('throws DIGEST_MISMATCH for an evidence blob whose bytes do not match its digest', async () => {
    const layer = baseline.evidence[1]?.layer.digest ?? '';
    proxy.setFault((req) => (req.path.includes(`/blobs/${layer}`) ? { kind: 'corrupt' } : undefined));
    expect(await rejectionCode(collect())).toBe('DIGEST_MISMATCH');
  });

  it('throws DIGEST_MISMATCH for a module manifest that does not match the requested digest', async () => {
    proxy.setFault((req) => (req.path.includes(`/manifests/${a.digest}`) ? { kind: 'corrupt' } : undefined));
    expect(await rejectionCode(collect())).toBe('DIGEST_MISMATCH');
  });

  it('throws SIZE_LIMIT_EXCEEDED for an oversized manifest without reading it', async () => {
    proxy.setFault((req) => (req.path.includes(`/manifests/${a.digest}`) ? { kind: 'oversize', bytes: 64 * 1024 * 1024 } : undefined));
    expect(await rejectionCode(collect())).toBe('SIZE_LIMIT_EXCEEDED');
  });

  it('ignores referrers whose subject is another module, with SUBJECT_MISMATCH warnings', async () => {
    // B lives in the same repository; serve B's referrers list when A's is asked for
    const res = await fetch(`${upstream.url}/v2/wasm/module/referrers/${b.digest}`);
    const bList = Buffer.from(await res.arrayBuffer());
    proxy.setFault((req) => (req.path.includes(`/referrers/${a.digest}`) ? { kind: 'rewrite', rewrite: () => bList } : undefined));
    const c = await collect();
    expect(c.evidence).toEqual([]);
    expect(c.warnings.map((w) => w.code)).toEqual(['SUBJECT_MISMATCH', 'SUBJECT_MISMATCH', 'SUBJECT_MISMATCH']);
    expect(c.warnings[0]?.message).toContain(b.digest);
  });
});
