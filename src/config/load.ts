import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { EMBEDDED_DEFAULT_CONFIG_YAML } from './defaults.ts';
import { substituteEnv } from './env.ts';
import { ConfigError } from './error.ts';
import type { WasmgateConfig } from './types.ts';
import { validateConfig } from './validate.ts';

export interface LoadedConfig {
  config: WasmgateConfig;
  /** the file read, or "embedded default" */
  source: string;
}

/** Command-line settings that win over the file (wasmgate serve --addr / --unix-socket / --log-decisions). */
export interface ConfigOverrides {
  addr?: string;
  unixSocket?: string;
  /** `decision_logs.console: true`: each decision as a JSON line on stdout, without writing a config file */
  logDecisions?: boolean;
}

/** Parses config text: `${ENV}` substitution, YAML (JSON is YAML), overrides, validation with defaults. */
export function parseConfig(text: string, options: { source?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigOverrides } = {}): WasmgateConfig {
  const source = options.source ?? 'config';
  let raw: unknown;
  try {
    raw = parseYaml(substituteEnv(text, options.env), { uniqueKeys: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    throw new ConfigError('CONFIG_PARSE_ERROR', `${source} is not valid YAML${where}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}; fix the syntax and retry`, { cause: err });
  }
  return validateConfig(applyEnvDefaults(applyOverrides(raw, options.overrides), options.env ?? process.env), source);
}

/** Reads the config file, or the embedded default when `file` is undefined. */
export async function loadConfig(file?: string, options: { env?: NodeJS.ProcessEnv; overrides?: ConfigOverrides } = {}): Promise<LoadedConfig> {
  if (file === undefined) {
    return { config: parseConfig(EMBEDDED_DEFAULT_CONFIG_YAML, { ...options, source: 'embedded default config' }), source: 'embedded default' };
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; check the path given to --config`, { cause: err });
  }
  return { config: parseConfig(text, { ...options, source: file }), source: file };
}

function applyOverrides(raw: unknown, o: ConfigOverrides | undefined): unknown {
  if (!o || (o.addr === undefined && o.unixSocket === undefined && o.logDecisions !== true)) return raw;
  const doc = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw } : {}) as Record<string, unknown>;
  if (o.logDecisions === true) {
    const logs = doc.decision_logs;
    doc.decision_logs = { ...(typeof logs === 'object' && logs !== null && !Array.isArray(logs) ? logs : {}), console: true };
  }
  if (o.addr === undefined && o.unixSocket === undefined) return doc;
  const prev = doc.listeners;
  const listeners = (typeof prev === 'object' && prev !== null ? { ...prev } : {}) as Record<string, unknown>;
  if (o.addr !== undefined) listeners.tcp = o.addr === '' || o.addr === 'none' ? null : o.addr;
  if (o.unixSocket !== undefined) {
    const prevUnix = listeners.unix;
    const mode = typeof prevUnix === 'object' && prevUnix !== null ? (prevUnix as { mode?: unknown }).mode : undefined;
    listeners.unix = { path: o.unixSocket, ...(mode === undefined ? {} : { mode }) };
    // --unix-socket alone means the socket only, unless --addr asks for TCP too
    if (o.addr === undefined && !(typeof prev === 'object' && prev !== null && 'tcp' in prev)) listeners.tcp = null;
  }
  doc.listeners = listeners;
  return doc;
}

/**
 * Environment defaults for keys the file leaves unset: WASMGATE_PERSISTENCE_DIRECTORY (set by the systemd unit to
 * its StateDirectory and by the Kubernetes manifests) becomes `persistence_directory`.
 */
function applyEnvDefaults(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const dir = env.WASMGATE_PERSISTENCE_DIRECTORY;
  if (!dir) return raw;
  const doc = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw } : {}) as Record<string, unknown>;
  if (doc.persistence_directory === undefined) doc.persistence_directory = dir;
  return doc;
}
