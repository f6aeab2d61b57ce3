import { WasmcloudError } from './error.ts';

export type InvocationMode = 'allow' | 'deny' | 'decide';

/** Config key `integrations.wasmcloud` (snake_case in YAML, mapped by the config loader). */
export interface WasmcloudPolicyOptions {
  /** e.g. `nats://127.0.0.1:4222`; several comma-separated servers allowed */
  natsUrl: string;
  /** the host's `--policy-topic` / WASMCLOUD_POLICY_TOPIC */
  policyTopic: string;
  /** the host's `--policy-changes-topic`; null: no overrides are published */
  changesTopic: string | null;
  /** how `performInvocation` is answered: allow, deny, or decide on the target's imageRef */
  invocation: InvocationMode;
  /** time budget per answer; must stay under the host's policy timeout (default 1000 ms) */
  deadlineMs: number;
  /** the host's policy timeout, to check deadlineMs against */
  hostTimeoutMs: number;
  /** time budget per re-decision in onPolicyChange (nobody waits on it) */
  recheckDeadlineMs: number;
  /** how many answered requests are kept for overrides (oldest dropped first) */
  maxCachedRequests: number;
  /** optional NATS queue group, so several wasmgate replicas share the topic */
  queueGroup: string | null;
  /** the decision path asked (default `wasm/sbom`) */
  path: string;
}

export const WASMCLOUD_DEFAULTS: Omit<WasmcloudPolicyOptions, 'natsUrl'> = {
  policyTopic: 'wasmcloud.policy',
  changesTopic: 'wasmcloud.policy.changes',
  invocation: 'allow',
  deadlineMs: 900,
  hostTimeoutMs: 1000,
  recheckDeadlineMs: 30_000,
  maxCachedRequests: 10_000,
  queueGroup: null,
  path: 'wasm/sbom',
};

function fail(key: string, value: unknown, fix: string): never {
  throw new WasmcloudError(
    'WASMCLOUD_CONFIG_INVALID',
    `integrations.wasmcloud.${key} = ${JSON.stringify(value)} is invalid: ${fix}`,
    { details: { key } },
  );
}

/** Validates the options once, injecting defaults. */
export function toWasmcloudOptions(input: Partial<WasmcloudPolicyOptions> & { natsUrl: string }): WasmcloudPolicyOptions {
  const o: WasmcloudPolicyOptions = { ...WASMCLOUD_DEFAULTS, ...input };
  if (!/^(nats|tls|wss?):\/\//.test(o.natsUrl) && !/^[\w.-]+:\d+$/.test(o.natsUrl)) fail('nats_url', o.natsUrl, 'use nats://host:port');
  const subject = /^[^\s*>]+$/;
  if (!subject.test(o.policyTopic)) fail('policy_topic', o.policyTopic, 'use a plain NATS subject such as wasmcloud.policy (no wildcards)');
  if (o.changesTopic !== null && !subject.test(o.changesTopic)) fail('changes_topic', o.changesTopic, 'use a plain NATS subject or null');
  if (!['allow', 'deny', 'decide'].includes(o.invocation)) fail('invocation', o.invocation, 'use allow, deny or decide');
  if (!Number.isInteger(o.hostTimeoutMs) || o.hostTimeoutMs <= 0) fail('host_timeout_ms', o.hostTimeoutMs, 'use the host\'s --policy-timeout-ms (default 1000)');
  if (!Number.isInteger(o.deadlineMs) || o.deadlineMs <= 0 || o.deadlineMs >= o.hostTimeoutMs) {
    fail('deadline_ms', o.deadlineMs, `use a whole number of ms below the host's timeout (${o.hostTimeoutMs}), e.g. ${Math.max(1, o.hostTimeoutMs - 100)}`);
  }
  if (!Number.isInteger(o.recheckDeadlineMs) || o.recheckDeadlineMs <= 0) fail('recheck_deadline_ms', o.recheckDeadlineMs, 'use a positive whole number of ms');
  if (!Number.isInteger(o.maxCachedRequests) || o.maxCachedRequests < 1) fail('max_cached_requests', o.maxCachedRequests, 'use a positive whole number');
  return o;
}
