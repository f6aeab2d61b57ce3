import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/common/logger.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { createOpaConsoleLogger } from '../../../src/logs/index.ts';
import { createMetrics, createStatusRegistry } from '../../../src/status/index.ts';
import { startStatusReporter } from '../../../src/logs/index.ts';

describe('startStatusReporter (OPA\'s status plugin)', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function receiver(): Promise<{ url: string; posts: Array<{ path: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }> }> {
    const posts: Array<{ path: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }> = [];
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        posts.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, posts };
  }

  it('is off unless status.service or status.console is set', () => {
    const c = parseConfig('status: {prometheus: false}');
    expect(startStatusReporter({ config: c.status, services: c.services, labels: {}, registry: createStatusRegistry(), logger: createSilentLogger() })).toBeNull();
  });

  it('uploads the status event as plain JSON to <service>/status/<partition> on every change', async () => {
    const r = await receiver();
    const c = parseConfig(`services: {ctl: {url: "${r.url}/api", credentials: {bearer: {token: tok}}}}\nstatus: {service: ctl, partition_name: edge, trigger: periodic}`);
    const registry = createStatusRegistry();
    registry.register('bundle');
    const reporter = startStatusReporter({ config: c.status, services: c.services, labels: { id: 'i', version: 'v' }, registry, logger: createSilentLogger() })!;
    await reporter.flush();
    registry.update('bundle', { state: 'OK' });
    await new Promise((res) => setTimeout(res, 20));
    await reporter.flush();
    await reporter.stop();
    expect(r.posts.map((p) => p.path)).toEqual(['/api/status/edge', '/api/status/edge']);
    expect(r.posts[0]!.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer tok' });
    expect(r.posts[0]!.headers['content-encoding']).toBeUndefined();
    expect(r.posts[0]!.body).toEqual({ labels: { id: 'i', version: 'v' }, bundles: {}, plugins: { bundle: { state: 'NOT_READY' } } });
    expect(r.posts[1]!.body.plugins).toEqual({ bundle: { state: 'OK' } });
  });

  it('includes the Prometheus metrics when status.prometheus is true', async () => {
    const r = await receiver();
    const c = parseConfig(`services: {ctl: {url: "${r.url}"}}\nstatus: {service: ctl, prometheus: true}`);
    const reporter = startStatusReporter({ config: c.status, services: c.services, labels: {}, registry: createStatusRegistry(), metrics: createMetrics({ defaultMetrics: false }), logger: createSilentLogger() })!;
    await reporter.stop();
    expect(r.posts[0]!.path).toBe('/status');
    expect((r.posts[0]!.body.metrics as { prometheus: unknown[] }).prometheus).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'plugin_status_gauge' })]));
  });

  it('logs each status change on the console as OPA\'s "Status Log" line', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
    const c = parseConfig('status: {console: true}');
    const registry = createStatusRegistry();
    const reporter = startStatusReporter({ config: c.status, services: c.services, labels: { id: 'i' }, registry, logger: createSilentLogger(), consoleLogger: createOpaConsoleLogger(stream) })!;
    await reporter.flush();
    await reporter.stop();
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'Status Log', type: 'openpolicyagent.org/status', labels: { id: 'i' }, plugins: {} });
  });
});
