/**
 * The consumers get their transport from the one service client: a decision-log upload to an HTTPS service goes
 * through the service's TLS options (tls.ca_cert: its own CA) and its token_path credential, which the
 * decision-log sink used to send over the global fetch without them. The token reaches no status message.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { createDecisionLoggerFromConfig, startStatusReporter } from '../../../src/logs/index.ts';
import { createStatusRegistry } from '../../../src/status/index.ts';

const run = promisify(execFile);

describe('service consumers over HTTPS with a private CA and a token file', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const seen: Array<{ path: string; authorization: string | undefined; body: Buffer }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-services-tls-'));
    // a self-signed certificate for 127.0.0.1, which is its own CA
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    server = createServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', authorization: req.headers.authorization, body: Buffer.concat(chunks) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await writeFile(join(dir, 'token'), 'rotating-1\n');
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const config = (extra: string) => parseConfig([
    `services: {logs: {url: "${url}", tls: {ca_cert: "${join(dir, 'cert.pem')}"}, credentials: {bearer: {token_path: "${join(dir, 'token')}"}}}}`,
    extra,
  ].join('\n'));

  it('decision logs: uploads over the service TLS with the token file, re-read per upload', async () => {
    seen.length = 0;
    const c = config('decision_logs: {service: logs, reporting: {trigger: manual}}');
    const status = createStatusRegistry();
    status.register('decision_logs');
    const logger = createDecisionLoggerFromConfig({ config: c.decision_logs, services: c.services, labels: { id: 'i', version: 'v' }, status });
    logger.log({ decision_id: 'd-1', path: 'wasm/sbom', time: Date.UTC(2026, 0, 1), input: {}, result: { allow: true } });
    await logger.flush();
    await writeFile(join(dir, 'token'), 'rotating-2\n');
    logger.log({ decision_id: 'd-2', path: 'wasm/sbom', time: Date.UTC(2026, 0, 1), input: {}, result: { allow: true } });
    await logger.flush();
    await logger.stop(1000);
    expect(status.snapshot().plugins.decision_logs?.state).toBe('OK');
    expect(seen.map((s) => s.path)).toEqual(['/logs', '/logs']);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer rotating-1', 'Bearer rotating-2']);
    expect(JSON.parse(gunzipSync(seen[0]!.body).toString())[0].decision_id).toBe('d-1');
  });

  it('decision logs: a missing token file is an upload error naming the service, without a token', async () => {
    seen.length = 0;
    const c = parseConfig([
      `services: {logs: {url: "${url}", tls: {ca_cert: "${join(dir, 'cert.pem')}"}, credentials: {bearer: {token_path: "${join(dir, 'gone')}"}}}}`,
      'decision_logs: {service: logs, reporting: {trigger: manual}}',
    ].join('\n'));
    const status = createStatusRegistry();
    status.register('decision_logs');
    const logger = createDecisionLoggerFromConfig({ config: c.decision_logs, services: c.services, labels: {}, status });
    logger.log({ decision_id: 'd-3', path: 'wasm/sbom', time: 0, input: {}, result: { allow: true } });
    await logger.flush();
    await logger.stop(10);
    const dl = status.snapshot().plugins.decision_logs;
    expect(dl?.state).toBe('ERROR');
    expect(dl?.message).toMatch(/bearer token file of service logs/);
    expect(seen).toEqual([]);
  });

  it('status uploads: the same client, TLS and token', async () => {
    seen.length = 0;
    await writeFile(join(dir, 'token'), 'status-token\n');
    const c = config('status: {service: logs}');
    const reporter = startStatusReporter({ config: c.status, services: c.services, labels: {}, registry: createStatusRegistry(), logger: createSilentLogger() })!;
    await reporter.stop();
    expect(seen.map((s) => [s.path, s.authorization])).toEqual([['/status', 'Bearer status-token']]);
  });
});
