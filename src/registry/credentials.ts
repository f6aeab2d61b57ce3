import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RegistryError } from './error.ts';

/** A registry credential. `identityToken` is an OAuth2 refresh token (config.json `identitytoken`, or username `<token>`). */
export type Credential =
  | { kind: 'basic'; username: string; password: string; source: string }
  | { kind: 'identity-token'; identityToken: string; source: string };

/** Finds the credential for a registry host (`host[:port]`, Docker Hub as `docker.io`). Undefined = anonymous. */
export interface CredentialProvider {
  get(host: string): Promise<Credential | undefined>;
}

/** No credentials: every registry is accessed anonymously. */
export const anonymousCredentials: CredentialProvider = { get: async () => undefined };

/** Static credentials, per host (tests, or a config that names them). */
export function createStaticCredentials(byHost: Record<string, { username: string; password: string }>): CredentialProvider {
  return {
    get: async (host) => {
      const c = byHost[host];
      return c ? toCredential(c.username, c.password, 'static configuration') : undefined;
    },
  };
}

export interface DockerConfigOptions {
  /** directory holding config.json; default $DOCKER_CONFIG, else ~/.docker */
  dir?: string;
  /** the config file itself (any name); wins over `dir` */
  file?: string;
  /** timeout for one docker-credential-* call, ms; default 5000 */
  helperTimeoutMs?: number;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
const MAX_CONFIG_BYTES = 1 << 20;
const MAX_HELPER_OUTPUT = 64 * 1024;

/**
 * Credentials from Docker's config.json: `credHelpers[host]` first, then the global `credsStore`, then `auths`.
 * Helpers are run as `docker-credential-<name> get` with the server URL on stdin. The file is re-read when it changes.
 */
export function createDockerConfigCredentials(options: DockerConfigOptions = {}): CredentialProvider {
  const path = options.file ?? join(options.dir ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  const helperTimeoutMs = options.helperTimeoutMs ?? 5000;
  let cached: { mtimeMs: number; config: DockerConfigFile } | undefined;

  async function load(): Promise<DockerConfigFile> {
    let st;
    try {
      st = await stat(path);
    } catch {
      return {};
    }
    if (cached && cached.mtimeMs === st.mtimeMs) return cached.config;
    if (st.size > MAX_CONFIG_BYTES) throw new RegistryError('REGISTRY_UNAUTHORIZED', `${path} is larger than 1 MiB; it cannot be a Docker config`);
    let config: DockerConfigFile;
    try {
      const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
      config = typeof parsed === 'object' && parsed !== null ? (parsed as DockerConfigFile) : {};
    } catch (cause) {
      throw new RegistryError('REGISTRY_UNAUTHORIZED', `${path} is not valid JSON; fix or remove it to use registry credentials`, { cause });
    }
    cached = { mtimeMs: st.mtimeMs, config };
    return config;
  }

  return {
    async get(host) {
      const config = await load();
      const keys = host === 'docker.io' ? HUB_KEYS : [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`];
      const helper = keys.map((k) => config.credHelpers?.[k]).find((h) => typeof h === 'string') ?? config.credsStore;
      if (typeof helper === 'string' && helper.length > 0) {
        const fromHelper = await runHelper(helper, host === 'docker.io' ? 'https://index.docker.io/v1/' : host, helperTimeoutMs);
        if (fromHelper) return fromHelper;
      }
      for (const key of keys) {
        const entry = config.auths?.[key];
        if (!entry) continue;
        const source = `${path} auths`;
        if (typeof entry.identitytoken === 'string' && entry.identitytoken.length > 0) {
          return { kind: 'identity-token', identityToken: entry.identitytoken, source };
        }
        if (typeof entry.auth === 'string' && entry.auth.length > 0) {
          const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
          const colon = decoded.indexOf(':');
          if (colon < 0) throw new RegistryError('REGISTRY_UNAUTHORIZED', `${source} entry for ${key} is not base64("user:password"); run docker login again`);
          return toCredential(decoded.slice(0, colon), decoded.slice(colon + 1), source);
        }
        if (typeof entry.username === 'string' && typeof entry.password === 'string') return toCredential(entry.username, entry.password, source);
      }
      return undefined;
    },
  };
}

function toCredential(username: string, secret: string, source: string): Credential {
  return username === '<token>' ? { kind: 'identity-token', identityToken: secret, source } : { kind: 'basic', username, password: secret, source };
}

/** Runs `docker-credential-<helper> get`; "credentials not found" means anonymous. */
async function runHelper(helper: string, serverUrl: string, timeoutMs: number): Promise<Credential | undefined> {
  if (!HELPER_NAME.test(helper)) throw new RegistryError('REGISTRY_UNAUTHORIZED', `credential helper name ${JSON.stringify(helper)} is not valid`);
  const program = `docker-credential-${helper}`;
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'ignore'], timeout: timeoutMs });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.length > MAX_HELPER_OUTPUT) child.kill();
    });
    child.on('error', (cause) => reject(new RegistryError('REGISTRY_UNAUTHORIZED', `credential helper ${program} could not run (${(cause as NodeJS.ErrnoException).code ?? 'error'}); install it or fix credHelpers/credsStore`, { cause })));
    child.on('close', (c) => resolve({ code: c, stdout: out }));
    child.stdin.end(serverUrl);
  });
  if (code !== 0) {
    if (/credentials not found/i.test(stdout)) return undefined;
    throw new RegistryError('REGISTRY_UNAUTHORIZED', `credential helper ${program} failed (exit ${code}) for ${serverUrl}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (cause) {
    throw new RegistryError('REGISTRY_UNAUTHORIZED', `credential helper ${program} printed something that is not JSON`, { cause });
  }
  const { Username, Secret } = parsed as { Username?: unknown; Secret?: unknown };
  if (typeof Username !== 'string' || typeof Secret !== 'string') {
    throw new RegistryError('REGISTRY_UNAUTHORIZED', `credential helper ${program} did not return Username and Secret`);
  }
  return toCredential(Username, Secret, `credential helper ${program}`);
}
