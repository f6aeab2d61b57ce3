import { describe, expect, it } from 'vitest';
import { WasmgateError } from '../../../src/common/error.ts';
import { ComponentStartError, LifecycleError, createComponentManager, createStatusRegistry, type Component } from '../../../src/status/index.ts';
import type { ComponentStatus } from '../../../src/status/index.ts';

/** A component that records its start/stop/reload calls in `log`. */
function part(name: string, log: string[], o: { dependsOn?: string[]; failStart?: unknown; failReload?: boolean; status?: ComponentStatus | null } = {}): Component<{ v: number }> & { value: number } {
  const c: Component<{ v: number }> & { value: number } = {
    name,
    value: 0,
    ...(o.dependsOn ? { dependsOn: o.dependsOn } : {}),
    async start() {
      log.push(`start ${name}`);
      if (o.failStart !== undefined) throw o.failStart;
    },
    async stop() {
      log.push(`stop ${name}`);
    },
    async reconfigure(next) {
      log.push(`stage ${name}`);
      if (o.failReload) throw new Error(`${name} refuses v${next.v}`);
      return {
        applied: [name],
        commit: () => {
          c.value = next.v;
          log.push(`commit ${name}`);
        },
        discard: async () => {
          log.push(`discard ${name}`);
        },
      };
    },
  };
  if (o.status !== null) c.status = () => o.status ?? { state: 'OK', details: { value: c.value } };
  return c;
}

describe('createComponentManager', () => {
  it('starts in dependency order (registration order otherwise) and stops in reverse', async () => {
    const log: string[] = [];
    const m = createComponentManager<{ v: number }>();
    m.add(part('server', log, { dependsOn: ['bundle', 'decision_logs'] }));
    m.add(part('bundle', log, { dependsOn: ['vulnerability_db'] }));
    m.add(part('vulnerability_db', log));
    m.add(part('decision_logs', log));
    await m.start();
    expect(log).toEqual(['start vulnerability_db', 'start bundle', 'start decision_logs', 'start server']);
    expect(m.started()).toEqual(['vulnerability_db', 'bundle', 'decision_logs', 'server']);
    log.length = 0;
    await m.stop();
    expect(log).toEqual(['stop server', 'stop decision_logs', 'stop bundle', 'stop vulnerability_db']);
    expect(m.started()).toEqual([]);
  });

  it('a failing start stops what started, in reverse, and throws a coded error naming the component', async () => {
    const log: string[] = [];
    const status = createStatusRegistry();
    const m = createComponentManager<{ v: number }>({ status });
    m.add(part('decision_logs', log));
    m.add(part('bundle', log));
    m.add(part('wasmcloud', log, { failStart: new Error('NATS is down') }));
    m.add(part('server', log));
    const err = await m.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ComponentStartError);
    expect(err).toMatchObject({ code: 'COMPONENT_START_FAILED', component: 'wasmcloud', message: expect.stringMatching(/^wasmcloud failed to start.*NATS is down/) });
    expect(log).toEqual(['start decision_logs', 'start bundle', 'start wasmcloud', 'stop bundle', 'stop decision_logs']);
    expect(m.started()).toEqual([]);
    expect(status.snapshot().plugins).toMatchObject({ wasmcloud: { state: 'ERROR', message: 'NATS is down' }, server: { state: 'NOT_READY' } });
  });

  it('keeps the code of a coded start error', async () => {
    class SocketInUse extends WasmgateError<'SOCKET_IN_USE'> {}
    const m = createComponentManager();
    m.add(part('server', [], { failStart: new SocketInUse('SOCKET_IN_USE', 'another process listens on /run/x.sock') }));
    await expect(m.start()).rejects.toMatchObject({ code: 'SOCKET_IN_USE', component: 'server', details: { component: 'server' } });
  });

  it('a later start() starts only the components added since, and a failure then stops the earlier ones too', async () => {
    const log: string[] = [];
    const m = createComponentManager<{ v: number }>();
    m.add(part('a', log));
    await m.start();
    m.add(part('b', log, { dependsOn: ['a'] }));
    m.add(part('c', log, { failStart: 'boom' }));
    await expect(m.start()).rejects.toMatchObject({ code: 'COMPONENT_START_FAILED', component: 'c' });
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop b', 'stop a']);
  });

  it('refuses an unknown dependency, a circle and a duplicate name with coded errors', async () => {
    const unknown = createComponentManager();
    unknown.add(part('server', [], { dependsOn: ['bundel'] }));
    await expect(unknown.start()).rejects.toSatisfy((e) => e instanceof LifecycleError && e.code === 'COMPONENT_DEPENDENCY_UNKNOWN' && /server depends on bundel/.test(e.message));
    const log: string[] = [];
    const circle = createComponentManager();
    circle.add(part('x', log));
    await circle.start();
    circle.add(part('a', log, { dependsOn: ['b'] }));
    circle.add(part('b', log, { dependsOn: ['a'] }));
    await expect(circle.start()).rejects.toMatchObject({ code: 'COMPONENT_DEPENDENCY_CYCLE', message: expect.stringContaining('a → b → a') });
    expect(log).toEqual(['start x', 'stop x']);
    const dup = createComponentManager();
    dup.add(part('a', []));
    expect(() => dup.add(part('a', []))).toThrow(expect.objectContaining({ code: 'COMPONENT_DUPLICATE' }));
  });

  it('reports each component to the status registry: NOT_READY when added, its status once started, NOT_READY when stopped', async () => {
    const status = createStatusRegistry();
    const m = createComponentManager({ status });
    m.add(part('bundle', [], { status: { state: 'WARN', message: 'waiting' } }));
    m.add(part('server', []));
    m.add(part('internal', [], { status: null }));
    expect(status.snapshot().plugins).toEqual({ bundle: { state: 'NOT_READY' }, server: { state: 'NOT_READY' } });
    await m.start();
    expect(status.snapshot().plugins).toEqual({ bundle: { state: 'WARN', message: 'waiting' }, server: { state: 'OK', details: { value: 0 } } });
    expect(status.pluginsReady(['bundle'])).toBe(true);
    await m.stop();
    expect(status.snapshot().plugins.server).toEqual({ state: 'NOT_READY', message: 'shutting down' });
  });

  it('a stop that throws is logged and the others still stop', async () => {
    const log: string[] = [];
    const m = createComponentManager();
    m.add(part('a', log));
    m.add({ ...part('b', log), stop: async () => Promise.reject(new Error('stuck')) });
    m.add(part('c', log));
    await m.start();
    log.length = 0;
    await m.stop();
    expect(log).toEqual(['stop c', 'stop a']);
  });

  describe('reconfigure', () => {
    it('commits every staged change when all stage theirs, and reports the new status', async () => {
      const log: string[] = [];
      const status = createStatusRegistry();
      const m = createComponentManager<{ v: number }>({ status });
      const a = part('a', log);
      const b = part('b', log);
      m.add(a);
      m.add(b);
      await m.start();
      log.length = 0;
      expect(await m.reconfigure({ v: 2 })).toEqual(['a', 'b']);
      expect(log).toEqual(['stage a', 'stage b', 'commit a', 'commit b']);
      expect([a.value, b.value]).toEqual([2, 2]);
      expect(status.snapshot().plugins.b).toEqual({ state: 'OK', details: { value: 2 } });
    });

    it('is all or nothing: one refusal discards what the others staged and changes nothing', async () => {
      const log: string[] = [];
      const m = createComponentManager<{ v: number }>();
      const a = part('a', log);
      const b = part('b', log, { failReload: true });
      const c = part('c', log);
      m.add(a);
      m.add(b);
      m.add(c);
      await m.start();
      log.length = 0;
      await expect(m.reconfigure({ v: 3 })).rejects.toThrow('b refuses v3');
      expect(log).toEqual(['stage a', 'stage b', 'discard a']);
      expect([a.value, b.value, c.value]).toEqual([0, 0, 0]);
    });
  });
});
