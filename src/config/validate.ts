import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import { closest } from '../common/did-you-mean.ts';
import { unknownTrustKeys } from './trust-keys.ts';
import { ConfigError, type ConfigProblem } from './error.ts';
import { configSchema, TOP_LEVEL_KEYS } from './schema.ts';
import type { ServiceConfig, WasmgateConfig } from './types.ts';

/**
 * The config document as the schema admits it, defaults injected (json-schema-to-ts reads the
 * `as const` schema; defaulted keys are present). validateConfig assigns it to WasmgateConfig
 * without a cast, so a schema that drifts from types.ts fails the type check.
 */
export type ConfigDocument = FromSchema<typeof configSchema>;

let compiled: ValidateFunction<ConfigDocument> | undefined;

// Compiles the schema once per process (ajv code generation is the slow part).
function validator(): ValidateFunction<ConfigDocument> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
    compiled = ajv.compile<ConfigDocument>(configSchema);
  }
  return compiled;
}

/**
 * Validates a parsed config document and injects defaults in the same step.
 * Throws ConfigError(CONFIG_INVALID) listing every problem with its key, the
 * bad value and the fix.
 */
export function validateConfig(raw: unknown, source = 'config'): WasmgateConfig {
  const doc: unknown = raw === null || raw === undefined ? {} : structuredClone(raw);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw invalid(source, [{ key: '(root)', value: doc, problem: 'the config must be a YAML mapping', fix: 'write key: value pairs, e.g. "decision: {deadline_ms: 900}"' }]);
  }
  const validate = validator();
  // trust: is validated (and loaded) by the verification module; its unknown keys are reported here, with the rest
  const trustProblems = trustKeyProblems('trust' in doc ? doc.trust : undefined);
  if (!validate(doc)) throw invalid(source, [...toProblems(validate.errors ?? []), ...trustProblems]);
  if (trustProblems.length > 0) throw invalid(source, trustProblems);
  const config: WasmgateConfig = { ...doc, services: normaliseServices(doc.services) };
  const problems = crossCheck(config);
  if (problems.length > 0) throw invalid(source, problems);
  config.decision.paths = config.decision.paths.map(trimSlashes);
  if (config.listeners.unix) config.listeners.unix.mode ??= '0660';
  return config;
}

function invalid(source: string, problems: ConfigProblem[]): ConfigError {
  const lines = problems.map((p) => `  ${p.key}: ${p.problem} (got ${show(p.value)}); fix: ${p.fix}`);
  return new ConfigError('CONFIG_INVALID', `${source} is invalid:\n${lines.join('\n')}`, { details: { problems } });
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function keyOf(instancePath: string): string {
  if (instancePath === '') return '(root)';
  return instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
}

function toProblems(errors: ErrorObject[]): ConfigProblem[] {
  // oneOf reports every branch's failure: keep the deepest errors, drop the branch-type noise.
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const kept = errors.filter((e) => {
    if (!oneOfPaths.has(e.instancePath)) return true;
    const deeper = errors.some((o) => o.instancePath.startsWith(`${e.instancePath}/`));
    if (e.keyword === 'oneOf') return !deeper;
    return e.keyword !== 'type' && e.keyword !== 'required' ? !deeper || e.keyword === 'additionalProperties' : false;
  });
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const e of kept) {
    const problem = toProblem(e);
    const id = `${problem.key}|${problem.problem}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(problem);
    }
  }
  return out;
}

function toProblem(e: ErrorObject): ConfigProblem {
  const parent = e.parentSchema as { description?: string } | undefined;
  const hint = parent?.description;
  if (e.keyword === 'additionalProperties') {
    const extra = String((e.params as { additionalProperty: string }).additionalProperty);
    const base = keyOf(e.instancePath);
    const key = base === '(root)' ? extra : `${base}.${extra}`;
    const known = e.instancePath === '' ? TOP_LEVEL_KEYS : Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
    const near = closest(extra, known);
    return {
      key,
      value: (e.data as Record<string, unknown>)[extra],
      problem: 'unknown key',
      fix: near ? `did you mean "${near}"? otherwise remove it` : `remove it (known keys: ${known.join(', ')})`,
    };
  }
  if (e.keyword === 'required') {
    const missing = String((e.params as { missingProperty: string }).missingProperty);
    const base = keyOf(e.instancePath);
    return { key: base === '(root)' ? missing : `${base}.${missing}`, value: undefined, problem: 'is required', fix: `add ${missing}` };
  }
  const fix = hint ?? fixFor(e);
  return { key: keyOf(e.instancePath), value: e.data, problem: e.message ?? e.keyword, fix };
}

function fixFor(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': return `use a value of type ${String(p.type)}`;
    case 'enum': return `use one of ${JSON.stringify(p.allowedValues)}`;
    case 'minimum': return `use a number ≥ ${String(p.limit)}`;
    case 'maximum': return `use a number ≤ ${String(p.limit)}`;
    case 'pattern': return `match the pattern ${String(p.pattern)}`;
    default: return 'see docs/service.md for the config reference';
  }
}

function trustKeyProblems(trust: unknown): ConfigProblem[] {
  return unknownTrustKeys(trust).map(({ key, value, known }) => {
    const near = closest(key.slice(key.lastIndexOf('.') + 1), known);
    return { key, value, problem: 'unknown key', fix: near ? `did you mean "${near}"? otherwise remove it` : `remove it (known keys: ${known.join(', ')})` };
  });
}

function normaliseServices(services: ConfigDocument['services']): Record<string, ServiceConfig> {
  const out: Record<string, ServiceConfig> = {};
  if (Array.isArray(services)) {
    for (const s of services) out[s.name] = s;
  } else {
    for (const [name, s] of Object.entries(services)) out[name] = { ...s, name };
  }
  return out;
}

// Checks the rules a JSON Schema cannot say: pairs, references between keys.
function crossCheck(c: WasmgateConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const pair = (key: string, o: { min_delay_seconds?: number; max_delay_seconds?: number } | undefined): void => {
    if (!o) return;
    const { min_delay_seconds: min, max_delay_seconds: max } = o;
    if ((min === undefined) !== (max === undefined)) {
      problems.push({ key, value: o, problem: 'min_delay_seconds and max_delay_seconds must be set together', fix: 'set both, e.g. {min_delay_seconds: 60, max_delay_seconds: 120}' });
    } else if (min !== undefined && max !== undefined && max < min) {
      problems.push({ key: `${key}.max_delay_seconds`, value: max, problem: `is less than min_delay_seconds (${min})`, fix: 'make max_delay_seconds ≥ min_delay_seconds' });
    }
  };
  const serviceNames = Object.keys(c.services);
  for (const [name, b] of Object.entries(c.bundles)) {
    pair(`bundles.${name}.polling`, b.polling);
    if (b.service !== undefined && !serviceNames.includes(b.service)) {
      problems.push({ key: `bundles.${name}.service`, value: b.service, problem: 'names no configured service', fix: `add services.${b.service}, or use one of [${serviceNames.join(', ')}]` });
    }
    if (b.signing?.keyid !== undefined && !(b.signing.keyid in c.keys)) {
      problems.push({ key: `bundles.${name}.signing.keyid`, value: b.signing.keyid, problem: 'names no configured key', fix: `add keys.${b.signing.keyid}: {algorithm, key}` });
    }
  }
  pair('decision_logs.reporting', c.decision_logs.reporting);
  for (const [key, svc] of [['decision_logs.service', c.decision_logs.service], ['status.service', c.status.service]] as const) {
    if (svc !== undefined && !serviceNames.includes(svc)) {
      problems.push({ key, value: svc, problem: 'names no configured service', fix: `add services.${svc}, or use one of [${serviceNames.join(', ')}]` });
    }
  }
  const tcp = c.listeners.tcp;
  if (tcp !== null) {
    const port = Number(tcp.slice(tcp.lastIndexOf(':') + 1));
    if (!(port >= 0 && port <= 65535)) problems.push({ key: 'listeners.tcp', value: tcp, problem: 'the port is out of range', fix: 'use a port in 0..65535, e.g. "127.0.0.1:8181"' });
  }
  if (c.decision_logs.reporting.buffer_size_limit_bytes !== undefined && c.decision_logs.reporting.max_decisions_per_second != null) {
    problems.push({ key: 'decision_logs.reporting.max_decisions_per_second', value: c.decision_logs.reporting.max_decisions_per_second, problem: 'cannot be combined with buffer_size_limit_bytes', fix: 'set only one of them' });
  }
  return problems;
}

function trimSlashes(p: string): string {
  return p.replace(/^\/+|\/+$/g, '');
}
