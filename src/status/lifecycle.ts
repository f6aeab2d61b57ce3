import { messageOf } from '../common/error.ts';
import { createSilentLogger, type Logger } from '../common/logger.ts';
import { ComponentStartError, LifecycleError } from './error.ts';
import type { StatusRegistry } from './registry.ts';
import type { ComponentStatus } from './types.ts';

/**
 * One long-lived part of the service (OPA's plugins.Plugin: Start, Stop, Reconfigure, with its status reported to
 * the manager): the bundle manager, the vulnerability database holder, decision-log sinks, the listeners, the
 * shared cache, the integrations. The component manager starts them in dependency order and stops them in reverse.
 */
export { ComponentStartError, LifecycleError, type LifecycleErrorCode } from './error.ts';

export interface Component<C = unknown> {
  /** the name under /v1/status `plugins` (and `/health?exclude-plugin=`) */
  readonly name: string;
  /** components that must be started before this one (and stopped after it) */
  readonly dependsOn?: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Stages a reload (SIGHUP) to `next`: builds and validates what changes, touching nothing that runs; throws to
   * refuse (the running config stays), or returns null when nothing of this component changes. The manager commits
   * every staged change only when all components staged theirs: a reload is all or nothing.
   */
  reconfigure?(next: C): Promise<StagedChange | null>;
  /**
   * The component's state now. A component without one is not shown under /v1/status (a group whose members
   * report for themselves, or an internal part).
   */
  status?(): ComponentStatus;
}

/** A reload built and validated beside the running component, not yet in effect. */
export interface StagedChange {
  /** the config sections the commit puts in effect */
  readonly applied: readonly string[];
  /** swaps the staged state in; must not fail */
  commit(): void;
  /** releases what was built when another component refused the reload */
  discard?(): Promise<void>;
}

export interface ComponentManager<C = unknown> {
  /** adds a component (its status registered as NOT_READY); started by the next start() */
  add(component: Component<C>): void;
  /**
   * Starts every component not started yet, dependencies first. A failing start stops everything started (in
   * reverse) and throws a ComponentStartError naming the component: nothing is left half-started.
   */
  start(): Promise<void>;
  /** Stops every started component in reverse start order; a failing stop is logged and the rest still stop. */
  stop(): Promise<void>;
  /**
   * Reloads: every reconfigurable started component stages `next`; when one refuses (throws), the staged ones are
   * discarded and the error is rethrown with nothing changed; otherwise all commit. Returns the sections applied.
   */
  reconfigure(next: C): Promise<string[]>;
  /** the first half of reconfigure(): every component staged, nothing committed (a manager inside another's component) */
  stage(next: C): Promise<StagedChange | null>;
  /** the started components' names, in start order */
  started(): string[];
}

export function createComponentManager<C = unknown>(options: { status?: StatusRegistry; logger?: Logger } = {}): ComponentManager<C> {
  const logger = options.logger ?? createSilentLogger();
  const added: Array<Component<C>> = [];
  const running: Array<Component<C>> = [];
  const report = (c: Component<C>, s: ComponentStatus): void => {
    if (c.status !== undefined) options.status?.update(c.name, s);
  };

  const startOrder = (): Array<Component<C>> => {
    const byName = new Map(added.map((c) => [c.name, c]));
    const out: Array<Component<C>> = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (c: Component<C>, path: readonly string[]): void => {
      if (state.get(c.name) === 'done') return;
      if (state.get(c.name) === 'visiting') {
        throw new LifecycleError('COMPONENT_DEPENDENCY_CYCLE', `components depend on each other in a circle: ${[...path, c.name].join(' → ')}`);
      }
      state.set(c.name, 'visiting');
      for (const d of c.dependsOn ?? []) {
        const dep = byName.get(d);
        if (dep === undefined) throw new LifecycleError('COMPONENT_DEPENDENCY_UNKNOWN', `${c.name} depends on ${d}, which is not registered: register ${d} or drop the dependency`);
        visit(dep, [...path, c.name]);
      }
      state.set(c.name, 'done');
      out.push(c);
    };
    for (const c of added) visit(c, []);
    return out;
  };

  const stopAll = async (): Promise<void> => {
    while (running.length > 0) {
      const c = running.pop()!;
      report(c, { state: 'NOT_READY', message: 'shutting down' });
      try {
        await c.stop();
      } catch (err) {
        logger.error({ err, component: c.name }, `stopping ${c.name} failed`);
      }
    }
  };

  const stage = async (next: C): Promise<StagedChange | null> => {
    const staged: Array<[Component<C>, StagedChange]> = [];
    const discard = async (): Promise<void> => {
      for (const [c, s] of [...staged].reverse()) {
        await s.discard?.().catch((e: unknown) => logger.warn({ err: e, component: c.name }, `discarding the staged reload of ${c.name} failed`));
      }
    };
    try {
      for (const c of running) {
        const s = await c.reconfigure?.(next);
        if (s) staged.push([c, s]);
      }
    } catch (err) {
      await discard();
      throw err;
    }
    if (staged.length === 0) return null;
    return {
      applied: staged.flatMap(([, s]) => s.applied),
      commit() {
        for (const [c, s] of staged) {
          s.commit();
          if (c.status !== undefined) report(c, c.status());
        }
      },
      discard,
    };
  };

  return {
    add(component) {
      if (added.some((c) => c.name === component.name)) {
        throw new LifecycleError('COMPONENT_DUPLICATE', `a component named ${component.name} is already registered: give each component its own name`);
      }
      added.push(component);
      if (component.status !== undefined) options.status?.register(component.name);
    },
    async start() {
      let order: Array<Component<C>>;
      try {
        order = startOrder();
      } catch (err) {
        await stopAll();
        throw err;
      }
      for (const c of order) {
        if (running.includes(c)) continue;
        try {
          await c.start();
        } catch (err) {
          report(c, { state: 'ERROR', message: messageOf(err) });
          logger.error({ err, component: c.name }, `${c.name} failed to start: stopping what started`);
          await stopAll();
          throw new ComponentStartError(c.name, err);
        }
        running.push(c);
        if (c.status !== undefined) report(c, c.status());
      }
    },
    stop: stopAll,
    stage,
    async reconfigure(next) {
      const staged = await stage(next);
      staged?.commit();
      return staged === null ? [] : [...staged.applied];
    },
    started: () => running.map((c) => c.name),
  };
}
