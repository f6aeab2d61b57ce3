import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Finds a real peer tool (opa, oras, crane, cosign, docker-registry, nats-server,
 * wasmgate-testregistry) on PATH. Under CI=true a missing tool is a failure,
 * never a skip; elsewhere the caller may skip with the returned reason.
 */
export function findTool(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

export function requireTool(name: string): string {
  const p = findTool(name);
  if (p) return p;
  throw new Error(`${name} is not installed: run scripts/install-tools.sh (tests need the real tool; they never skip under CI)`);
}

/** For `describe.skipIf(...)`: true only outside CI when the tool is missing. */
export function missingOutsideCi(...names: string[]): boolean {
  if (process.env.CI === 'true') return false;
  return names.some((n) => findTool(n) === undefined);
}
