import { createSilentLogger } from '../../src/common/logger.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Decider } from '../../src/decide/types.ts';
import type { LoadedBundle } from '../../src/policy/engine/types.ts';
import { startService, type RunningService } from '../../src/server/service.ts';
import type { DecisionVersions } from '../../src/decide/cache.ts';

/** Starts the real service on 127.0.0.1:0 (and optionally a socket) with a fake Decider and bundle. */
export async function startTestService(o: {
  decider: Decider;
  bundle?: LoadedBundle | null;
  yaml?: string;
  versions?: () => DecisionVersions | null;
  unixSocket?: string;
}): Promise<RunningService & { url: string }> {
  const config = parseConfig(o.yaml ?? '', { overrides: { addr: '127.0.0.1:0', ...(o.unixSocket ? { unixSocket: o.unixSocket } : {}) } });
  const service = await startService({
    config,
    logger: createSilentLogger(),
    env: {},
    wire: async () => ({ decider: o.decider, bundles: { active: () => o.bundle ?? null }, versions: o.versions ?? (() => null) }),
  });
  const tcp = service.listeners.find((l) => l.target.kind === 'tcp');
  return Object.assign(service, { url: tcp ? `http://${tcp.address}` : '' });
}
