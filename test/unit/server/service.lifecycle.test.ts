import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { startService } from '../../../src/server/service.ts';
import type { ServiceWiring } from '../../../src/server/wiring.ts';
import { ComponentStartError } from '../../../src/status/lifecycle.ts';
import { createFakeDecider } from '../../support/fake-decider.ts';

/** A fake wiring that records its stop and (optionally) stages reloads. */
function recordingWire(log: string[], reconfigure?: ServiceWiring['reconfigure'], beforeStop?: () => Promise<void>): () => Promise<ServiceWiring> {
  return async () => ({
    decider: createFakeDecider(),
    bundles: { active: () => null },
    versions: () => null,
    ...(reconfigure && { reconfigure }),
    async stop() {
      await beforeStop?.();
      log.push('wiring stopped');
    },
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wg-svc-life-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('startService as components', () => {
  it('a listener that cannot bind fails the start with its code, naming the component, and stops what started', async () => {
    const sock = join(dir, 'live.sock');
    const other: Server = createServer();
    await new Promise<void>((resolve) => other.listen(sock, resolve));
    try {
      const log: string[] = [];
      const config = parseConfig('', { overrides: { addr: 'none', unixSocket: sock } });
      const err = await startService({ config, wire: recordingWire(log), logger: createSilentLogger(), env: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ComponentStartError);
      expect(err).toMatchObject({ code: 'SOCKET_IN_USE', component: 'server', message: expect.stringMatching(/^server failed to start/) });
      expect(log).toEqual(['wiring stopped']);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('shows each component under /v1/status and /health?plugins, and stops the listeners before the wiring', async () => {
    const log: string[] = [];
    const config = parseConfig('integrations: {gatekeeper: {enabled: true}}\ndecision_logs: {console: true}', { overrides: { addr: '127.0.0.1:0' } });
    let url = '';
    // when the wiring stops, the listeners have closed already (reverse start order)
    const probe = async (): Promise<void> => {
      log.push(await fetch(`${url}/health`).then(() => 'listener still open', () => 'listener closed'));
    };
    const svc = await startService({ config, wire: recordingWire(log, undefined, probe), logger: createSilentLogger(), consoleLogger: createSilentLogger(), env: {} });
    url = `http://${svc.addresses[0]!}`;
    await probe();
    const { result } = (await (await fetch(`${url}/v1/status`)).json()) as { result: { plugins: Record<string, { state: string; details?: Record<string, unknown> }> } };
    expect(result.plugins).toEqual({
      server: { state: 'OK', details: { addresses: svc.addresses } },
      decision_logs: { state: 'OK' },
      gatekeeper: { state: 'OK', details: { path: '/gatekeeper/v1/provide' } },
    });
    expect((await fetch(`${url}/health?plugins`)).status).toBe(200);
    await svc.stop();
    expect(log).toEqual(['listener still open', 'listener closed', 'wiring stopped']);
    expect(svc.status.snapshot().plugins.server).toEqual({ state: 'NOT_READY', message: 'shutting down' });
  });

  it('a reload the wiring refuses changes nothing; one it stages is committed with the deadline', async () => {
    const log: string[] = [];
    let refuse = true;
    const reconfigure: NonNullable<ServiceWiring['reconfigure']> = async () => {
      if (refuse) throw new Error('trust.keys[0]: no such file');
      return { applied: ['trust'], commit: () => log.push('committed') };
    };
    const config = parseConfig('', { overrides: { addr: '127.0.0.1:0' } });
    const svc = await startService({ config, wire: recordingWire(log, reconfigure), logger: createSilentLogger(), env: {} });
    try {
      const next = parseConfig('decision: {deadline_ms: 1234}\ntrust: {trusted_roots: none}', { overrides: { addr: '127.0.0.1:0' } });
      await expect(svc.reconfigure(next)).rejects.toThrow('no such file');
      expect(log).toEqual([]);
      refuse = false;
      expect(await svc.reconfigure(next)).toEqual({ applied: ['trust', 'decision.deadline_ms'], restart_needed: [] });
      expect(log).toEqual(['committed']);
    } finally {
      await svc.stop();
    }
  });
});
