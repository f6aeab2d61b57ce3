import type { RegistriesConfig } from '../../config/types.ts';
import { messageOf } from '../../common/error.ts';
import { matchesHost } from '../../registry/hosts.ts';
import { parseReference } from '../../resolve/reference.ts';

export type RefProblem = { reason: 'invalid_ref' | 'host_not_allowed'; message: string };

/** A cheap syntax and allow-list check before any work: a caller's mistake is a 400, not a deny. */
export type RefCheck = (ref: string) => RefProblem | null;

/**
 * Checks a ref with the one reference parser (src/resolve) and the registry host matcher the client uses, so the
 * API accepts exactly what the pipeline can fetch. OCI layouts are confined to `registries.layouts` by the
 * collector (it resolves symlinks, which needs the file system).
 */
export function createRefCheck(registries: Pick<RegistriesConfig, 'allow'>): RefCheck {
  return (ref) => {
    let parsed;
    try {
      parsed = parseReference(ref);
    } catch (err) {
      return { reason: 'invalid_ref', message: `input.module.ref is not a valid reference: ${messageOf(err)}` };
    }
    if (parsed.kind === 'oci-layout') return null;
    if (!matchesHost(parsed.registry, registries.allow)) {
      return { reason: 'host_not_allowed', message: `registry host ${parsed.registry} is not in registries.allow: add it to the config to allow modules from it` };
    }
    return null;
  };
}
