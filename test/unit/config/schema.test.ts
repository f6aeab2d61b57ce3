/**
 * No config key is accepted and ignored (issue 13 item 6). This test enumerates every key of the config schema
 * and requires each to be one of:
 *
 * - REFUSED: a config setting it fails to load with a message naming the key (asserted here);
 * - BEHAVIOUR: named by a test that shows it changes behaviour (the test file must contain that test; the keys of
 *   issue 13 item 6 and the decision-log keys are all here);
 * - otherwise READ: the key's name is read by the code outside src/config (a static check: a key nothing reads is
 *   a key accepted and ignored, and fails here until it is implemented or refused).
 *
 * A key added to the schema without one of these fails the test.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { ROOT } from '../../integration/server/helpers.ts';

type Schema = Record<string, unknown>;

/** Every leaf key of the schema: `a.b.c`, `<name>` for map entries, `[]` for list items. */
function leafKeys(s: Schema, prefix = ''): string[] {
  const out: string[] = [];
  let leaf = true;
  for (const b of [s, ...((s.oneOf ?? s.anyOf ?? []) as Schema[])]) {
    const props = b.properties as Record<string, Schema> | undefined;
    if (props) {
      leaf = false;
      for (const [k, v] of Object.entries(props)) out.push(...leafKeys(v, prefix ? `${prefix}.${k}` : k));
    }
    const ap = b.additionalProperties as Schema | boolean | undefined;
    if (typeof ap === 'object' && ap.properties) {
      leaf = false;
      out.push(...leafKeys(ap, `${prefix}.<name>`));
    }
    const items = b.items as Schema | undefined;
    if (items?.properties) {
      leaf = false;
      out.push(...leafKeys(items, prefix.startsWith('services') ? `${prefix}.<name>` : `${prefix}[]`));
    }
  }
  if (leaf) out.push(prefix);
  return [...new Set(out)];
}

/** Keys refused at load, with a config that sets them. */
const REFUSED: Record<string, string> = {
  default_authorization_decision: 'default_authorization_decision: /system/authz/allow',
  plugins: 'plugins: {envoy_ext_authz_grpc: {addr: ":9191"}}',
  'services.<name>.tls.system_ca_required': 'services: {s: {url: "https://x", tls: {system_ca_required: true}}}',
  'keys.<name>.private_key': 'keys: {k: {algorithm: RS256, key: k, private_key: p}}',
};

/** Values refused at load although the key itself works (OPA accepts them, wasmgate has no such mode). */
const REFUSED_VALUES: Record<string, string> = {
  'status.trigger': 'status: {trigger: manual}',
};

const LOGGER = 'test/unit/logs/decision-logger.test.ts';
const STATUS = 'test/unit/logs/status-reporter.test.ts';
const PIPELINE = 'test/integration/logs/opa-pipeline.test.ts';
const REPLAY = 'test/integration/logs/replay.test.ts';
const SINKS = 'test/unit/logs/decision-logger.config.test.ts';

/** Keys shown to change behaviour by a named test: [file, a test title in it]. */
const BEHAVIOUR: Record<string, [string, string]> = {
  'server.encoding.gzip.min_length': ['test/unit/server/opa-api/data.test.ts', 'gzips answers from server.encoding.gzip.min_length bytes, at compression_level'],
  'server.encoding.gzip.compression_level': ['test/unit/server/opa-api/data.test.ts', 'gzips answers from server.encoding.gzip.min_length bytes, at compression_level'],
  'decision_logs.mask_decision': [SINKS, 'evaluates mask_decision and drop_decision on the active bundle'],
  'decision_logs.drop_decision': [SINKS, 'evaluates mask_decision and drop_decision on the active bundle'],
  'decision_logs.reporting.max_decisions_per_second': [SINKS, 'rate-limits with reporting.max_decisions_per_second'],
  'decision_logs.reporting.buffer_type': [SINKS, 'bounds the upload buffer by events or by bytes as buffer_type says'],
  'decision_logs.reporting.buffer_size_limit_events': [SINKS, 'bounds the upload buffer by events or by bytes as buffer_type says'],
  'decision_logs.reporting.buffer_size_limit_bytes': [SINKS, 'bounds the upload buffer by events or by bytes as buffer_type says'],
  'decision_logs.request_context.http.headers': [PIPELINE, 'each wasmgate event has the fields and JSON types of OPA\'s event for the same request'],
  'decision_logs.service': [PIPELINE, 'a real OPA ingests wasmgate\'s gzip\'d batches and accepts every event against the schema'],
  'decision_logs.resource': [PIPELINE, 'a real OPA ingests wasmgate\'s gzip\'d batches and accepts every event against the schema'],
  'decision_logs.reporting.trigger': [PIPELINE, 'a real OPA ingests wasmgate\'s gzip\'d batches and accepts every event against the schema'],
  'decision_logs.file': [REPLAY, 'logs %s whole by default: OPA on the logged input gives the logged decision'],
  'decision_logs.max_predicate_bytes': [REPLAY, 're-fetches erased predicates: wasmgate replay (and OPA on the restored input) give the logged allow'],
  'decision_logs.erase': ['test/unit/logs/erase.test.ts', 'createRedactor'],
  'decision_logs.console': [LOGGER, 'writes time as an RFC 3339 string, level "info" and error as text'],
  nd_builtin_cache: [PIPELINE, 'each wasmgate event has the fields and JSON types of OPA\'s event for the same request'],
  'status.service': [STATUS, 'uploads the status event as plain JSON to <service>/status/<partition> on every change'],
  'status.partition_name': [STATUS, 'uploads the status event as plain JSON to <service>/status/<partition> on every change'],
  'status.console': [STATUS, 'logs each status change on the console as OPA\'s "Status Log" line'],
  'status.trigger': [STATUS, 'uploads the status event as plain JSON to <service>/status/<partition> on every change'],
  'status.prometheus': [STATUS, 'includes the Prometheus metrics when status.prometheus is true'],
  labels: [PIPELINE, 'each wasmgate event has the fields and JSON types of OPA\'s event for the same request'],
};

const SRC = join(ROOT, 'src');
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return p.endsWith(join('src', 'config')) ? [] : sources(p);
    return p.endsWith('.ts') ? [readFileSync(p, 'utf8')] : [];
  });
}
const CODE = sources(SRC).join('\n');
const isRead = (key: string): boolean => {
  const name = key.split('.').pop()!.replace(/\[\]$/, '');
  return new RegExp(`(\\.|\\?\\.)${name}\\b|\\['${name}'\\]|\\b${name}\\b\\s*[,}:=]`).test(CODE);
};

const KEYS = leafKeys(configSchema as unknown as Schema);
const covered = (key: string, table: Record<string, unknown>): boolean => Object.keys(table).some((k) => key === k || key.startsWith(`${k}.`));

describe('the config schema\'s keys', () => {
  it('are enumerated (sanity: the walker sees nested, map and list keys)', () => {
    expect(KEYS).toEqual(expect.arrayContaining(['decision_logs.reporting.max_decisions_per_second', 'services.<name>.credentials.bearer.token', 'decision_logs.mask[].path', 'listeners.unix.mode']));
    expect(KEYS.length).toBeGreaterThan(100);
  });

  it.each(Object.entries(REFUSED))('refuses %s at load, naming the key', (key, yaml) => {
    const shown = key.replace('<name>', yaml.includes('services') ? 's' : 'k');
    expect(() => parseConfig(yaml)).toThrow(new RegExp(`^\\s+${shown.replaceAll('.', '\\.')}[.:]`, 'm'));
  });

  it.each(Object.entries(REFUSED_VALUES))('refuses the value of %s wasmgate cannot honour, naming the key', (key, yaml) => {
    expect(() => parseConfig(yaml)).toThrow(new RegExp(`^\\s+${key.replaceAll('.', '\\.')}:`, 'm'));
  });

  it.each(Object.entries(BEHAVIOUR))('%s is shown to change behaviour by a named test', (key, [file, title]) => {
    expect(KEYS.some((k) => k === key || k.startsWith(`${key}.`)), `${key} is not a schema key`).toBe(true);
    expect(readFileSync(join(ROOT, file), 'utf8').replaceAll("\\'", "'")).toContain(title);
  });

  it('the static read check can fail (a key nothing reads is found)', () => {
    expect(isRead('decision_logs.reporting.no_such_setting')).toBe(false);
    expect(isRead('decision_logs.reporting.upload_size_limit_bytes')).toBe(true);
  });

  it('has no key accepted and ignored: each is refused, shown to change behaviour, or read by the code', () => {
    const ignored = KEYS.filter((k) => !covered(k, REFUSED) && !covered(k, BEHAVIOUR) && !isRead(k));
    expect(ignored).toEqual([]);
  });
});
