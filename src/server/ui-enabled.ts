import { isLoopback, type ListenTarget } from './transports/targets.ts';

/**
 * `ui.enabled`: explicit true/false wins; unset (null) means on when every listener is
 * loopback TCP or a Unix socket, off as soon as one may listen beyond the machine
 * (a non-loopback address, or a socket handed over by systemd whose address is not known here).
 */
export function uiEnabled(enabled: boolean | null, targets: readonly ListenTarget[]): boolean {
  if (enabled !== null) return enabled;
  return targets.every((t) => t.kind === 'unix' || (t.kind === 'tcp' && isLoopback(t.host)));
}
