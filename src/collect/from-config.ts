import type { Logger } from '../common/logger.ts';
import { resolveConfigPath } from '../common/paths.ts';
import type { WasmgateConfig } from '../config/types.ts';
import type { Metrics } from '../status/metrics.ts';
import { createDockerConfigCredentials, type RegistryClientOptions } from '../registry/index.ts';
import type { CollectorOptions } from './collect.ts';

/**
 * The collector the config file describes (`registries:` and the decision deadline): the one place
 * `wasmgate serve`, `check` and `evidence --config` get it from, so all three reach registries alike. With
 * `confineLayouts` (the service), `oci:` layouts are read only under `registries.layouts`.
 */
export function collectorOptionsFromConfig(
  config: WasmgateConfig,
  baseDir: string,
  logger?: Logger,
  metrics?: Pick<Metrics, 'registryRequestDuration'>,
  options: { confineLayouts?: boolean } = {},
): CollectorOptions & { registry: RegistryClientOptions } {
  const { limits, docker_config: dockerConfig } = config.registries;
  return {
    registry: {
      allowedHosts: config.registries.allow,
      insecureHosts: config.registries.insecure,
      tokenRealmHosts: config.registries.token_realms,
      redirectHosts: config.registries.redirect_hosts,
      // null: $DOCKER_CONFIG/config.json, then ~/.docker/config.json (the client's default)
      ...(dockerConfig !== null ? { credentials: createDockerConfigCredentials({ file: resolveConfigPath(baseDir, dockerConfig) }) } : {}),
      requestTimeoutMs: limits.request_timeout_ms,
      limits: { manifestBytes: limits.manifest_bytes, blobBytes: limits.blob_bytes },
      ...(logger ? { logger } : {}),
      ...(metrics ? { observe: (s) => metrics.registryRequestDuration.labels(s.host, s.operation, s.outcome).observe(s.seconds) } : {}),
    },
    limits: { maxReferrers: limits.referrers, maxEvidenceBytes: limits.attestation_bytes, concurrency: limits.concurrency, deadlineMs: config.decision.deadline_ms },
    signatureRepositories: config.registries.signature_repositories,
    tagTtlMs: config.registries.tag_ttl_seconds * 1000,
    // the service reads layouts only under registries.layouts; the CLI reads whatever the user names
    ...(options.confineLayouts === true ? { layoutRoots: config.registries.layouts.map((d) => resolveConfigPath(baseDir, d)) } : {}),
    ...(logger ? { logger } : {}),
  };
}
