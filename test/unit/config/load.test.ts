import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, loadConfig, parseConfig, substituteEnv, toPublicConfig } from '../../../src/config/index.ts';
import type { ConfigProblem } from '../../../src/config/index.ts';

function problemsOf(fn: () => unknown): ConfigProblem[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    return (err as ConfigError).details?.problems as ConfigProblem[];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  describe('when no file is given', () => {
    it('returns the embedded default with every default injected', async () => {
      const { config, source } = await loadConfig();
      expect(source).toBe('embedded default');
      expect(config.listeners).toEqual({ tcp: '127.0.0.1:8181', unix: null });
      expect(config.decision).toEqual({ paths: ['wasm/sbom'], deadline_ms: 900, admission: { max_concurrent: 32, max_queued: 256 }, cache: { ttl_seconds: 300, max_entries: 10000, verification_entries: 4096 }, evaluation: { threads: null, max_queue: 256, nice: 0 } });
      expect(config.registries).toMatchObject({ allow: [], layouts: ['demo/store'], token_realms: [], redirect_hosts: [], tag_ttl_seconds: 0 });
      expect(config.decision_logs.erase).toEqual([]); // inputs are logged whole (replayable), predicates capped
      expect(config.decision_logs.max_predicate_bytes).toBe(32768);
      expect(config.server.decoding.max_length).toBe(1048576);
      expect(config.default_decision).toBe('/system/main');
    });
  });

  describe('when the file is missing', () => {
    it('throws CONFIG_UNREADABLE naming the path', async () => {
      await expect(loadConfig('/nonexistent/wasmgate.yaml')).rejects.toMatchObject({ code: 'CONFIG_UNREADABLE', message: expect.stringContaining('/nonexistent/wasmgate.yaml') });
    });
  });
});

describe('parseConfig', () => {
  it('accepts OPA-shaped sections beside wasmgate keys', () => {
    const c = parseConfig(`
services:
  logs: {url: "https://logs.example.com", credentials: {bearer: {token: "t"}}}
bundles:
  sbom: {service: logs, resource: bundles/sbom.tar.gz, polling: {min_delay_seconds: 10, max_delay_seconds: 20}}
decision_logs: {service: logs, console: true}
labels: {env: prod}
trust: {keyless: [{subject: s, issuer: i}], trusted_roots: public-good}
listeners: {tcp: null, unix: {path: /run/wasmgate.sock}}
decision: {paths: [/wasm/sbom/, policy/x]}
`);
    expect(c.services.logs?.name).toBe('logs');
    expect(c.listeners.unix).toEqual({ path: '/run/wasmgate.sock', mode: '0660' });
    expect(c.decision.paths).toEqual(['wasm/sbom', 'policy/x']);
    expect(c.trust).toEqual({ keyless: [{ subject: 's', issuer: 'i' }], trusted_roots: 'public-good' });
    expect(c.bundles.sbom?.persist).toBe(false);
  });

  it('normalises a services list into a map by name', () => {
    const c = parseConfig('services: [{name: a, url: "https://a"}]');
    expect(c.services.a?.url).toBe('https://a');
  });

  it('substitutes ${ENV} before parsing, undefined as empty', () => {
    const c = parseConfig('labels: {region: "${REGION}", other: "x${NOPE}y"}', { env: { REGION: 'eu' } });
    expect(c.labels).toEqual({ region: 'eu', other: 'xy' });
  });

  describe('when a value is bad', () => {
    it('names the key, the bad value and the fix', () => {
      const [p] = problemsOf(() => parseConfig('decision: {deadline_ms: soon}'));
      expect(p).toMatchObject({ key: 'decision.deadline_ms', value: 'soon' });
      expect(p!.fix).toMatch(/milliseconds/);
    });

    it('suggests the key meant for a misspelt one', () => {
      const [p] = problemsOf(() => parseConfig('decison: {}'));
      expect(p).toMatchObject({ key: 'decison', problem: 'unknown key' });
      expect(p!.fix).toContain('"decision"');
    });

    it('reports a typo inside trust: with did-you-mean, in the same list as the top-level problems', () => {
      const text = [
        'decison: {}',
        'trust:',
        '  trusted_root: public-good',
        '  keyless: [{subject: s, isuser: i}]',
        '  keys: [{id: k, pth: k.pem}]',
        '  thresholds: {tlgo: 1}',
      ].join('\n');
      const problems = problemsOf(() => parseConfig(text));
      expect(problems.map((p) => [p.key, p.fix.match(/did you mean "([^"]+)"/)?.[1]])).toEqual([
        ['decison', 'decision'],
        ['trust.trusted_root', 'trusted_roots'],
        ['trust.keys[0].pth', 'path'],
        ['trust.keyless[0].isuser', 'issuer'],
        ['trust.thresholds.tlgo', 'tlog'],
      ]);
      // alone, too (the schema itself has nothing to say about trust:)
      expect(problemsOf(() => parseConfig('trust: {keyless: [{subject: s, isuser: i}]}')).map((p) => p.key)).toEqual(['trust.keyless[0].isuser']);
    });

    it('reports every problem at once, in the message too', () => {
      let message = '';
      const problems = problemsOf(() => {
        try {
          return parseConfig('listeners: {tcp: "nohost"}\nregistries: {allow: [1]}');
        } catch (err) {
          message = (err as Error).message;
          throw err;
        }
      });
      expect(problems.map((p) => p.key).sort()).toEqual(['listeners.tcp', 'registries.allow.0']);
      expect(message).toContain('listeners.tcp');
      expect(message).toContain('"nohost"');
    });

    it('rejects min/max delays that are not a pair or out of order', () => {
      expect(problemsOf(() => parseConfig('decision_logs: {reporting: {min_delay_seconds: 5}}'))[0]!.key).toBe('decision_logs.reporting');
      expect(problemsOf(() => parseConfig('decision_logs: {reporting: {min_delay_seconds: 5, max_delay_seconds: 1}}'))[0]!.key).toBe('decision_logs.reporting.max_delay_seconds');
    });

    it('rejects references to services and keys that do not exist', () => {
      const keys = problemsOf(() => parseConfig('bundles: {b: {service: nope, signing: {keyid: k}}}')).map((p) => p.key);
      expect(keys).toEqual(['bundles.b.service', 'bundles.b.signing.keyid']);
    });

    it('rejects a unix socket mode that is not octal', () => {
      expect(problemsOf(() => parseConfig('listeners: {unix: {path: /x.sock, mode: "0999"}}'))[0]!.key).toBe('listeners.unix.mode');
    });

    it('throws CONFIG_PARSE_ERROR with a line for broken YAML', () => {
      expect(() => parseConfig('a: [1,\nb: {')).toThrow(expect.objectContaining({ code: 'CONFIG_PARSE_ERROR', message: expect.stringMatching(/line \d+/) }));
    });
  });

  describe('with command-line overrides', () => {
    it('--unix-socket alone serves only the socket', () => {
      const c = parseConfig('', { overrides: { unixSocket: '/tmp/s.sock' } });
      expect(c.listeners).toEqual({ tcp: null, unix: { path: '/tmp/s.sock', mode: '0660' } });
    });
    it('--addr and --unix-socket serve both', () => {
      const c = parseConfig('listeners: {unix: {path: /a.sock, mode: "0600"}}', { overrides: { addr: '127.0.0.1:9', unixSocket: '/b.sock' } });
      expect(c.listeners).toEqual({ tcp: '127.0.0.1:9', unix: { path: '/b.sock', mode: '0600' } });
    });
    it('--log-decisions turns console decision logs on, keeping the rest of decision_logs', () => {
      expect(parseConfig('').decision_logs.console).toBe(false);
      const c = parseConfig('decision_logs: {console: false, reporting: {buffer_size_limit_events: 7}}', { overrides: { logDecisions: true } });
      expect(c.decision_logs.console).toBe(true);
      expect(c.decision_logs.reporting.buffer_size_limit_events).toBe(7);
      expect(c.listeners).toEqual(parseConfig('').listeners);
    });
  });
});

describe('substituteEnv', () => {
  it('leaves text without ${…} unchanged (property)', () => {
    fc.assert(fc.property(fc.string().filter((s) => !s.includes('${')), (s) => substituteEnv(s, {}) === s), { seed: 42, numRuns: 200 });
  });
  it('keeps $${VAR} as a literal ${VAR}', () => {
    expect(substituteEnv('$${HOME}', { HOME: '/h' })).toBe('${HOME}');
  });
});

describe('toPublicConfig', () => {
  it('omits credentials, key material and header values', () => {
    const c = parseConfig(`
services: {s: {url: "https://x", headers: {X-Api-Key: secret1}, credentials: {bearer: {token: secret2}}}}
keys: {k: {algorithm: RS256, key: secret3}}
`);
    const text = JSON.stringify(toPublicConfig(c));
    for (const s of ['secret1', 'secret2', 'secret3']) expect(text).not.toContain(s);
    expect(text).toContain('https://x');
  });
});
