import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// bin/wasmgate.js under a Node.js too old for type stripping: the machine's Debian node (v20 at
// /usr/bin/node on the project's machines; WASMGATE_OLD_NODE names another one).
const OLD_NODE = process.env.WASMGATE_OLD_NODE ?? '/usr/bin/node';
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'wasmgate.js');
const fixture = join(import.meta.dirname, '..', '..', 'fixtures', 'wasm', 'component.wasm');

describe.skipIf(!existsSync(OLD_NODE) && process.env.CI !== 'true')('bin/wasmgate.js on an unsupported Node.js', () => {
  it('says which Node.js is needed and how to get it, with no stack trace', () => {
    const version = spawnSync(OLD_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const [major, minor] = version.slice(1).split('.').map(Number) as [number, number];
    expect(major < 22 || (major === 22 && minor < 22), `${OLD_NODE} is ${version}: the test needs an older Node.js (set WASMGATE_OLD_NODE)`).toBe(true);

    const r = spawnSync(OLD_NODE, [bin, 'inspect', fixture], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`wasmgate needs Node.js 24 (or 22.22+), but this is Node.js ${version}`);
    expect(r.stderr).toContain('scripts/bootstrap-node.sh');
    expect(r.stderr).toContain('WASMGATE_USE_SYSTEM_NODE=1');
    expect(r.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('runs as before on the Node.js the project provides', () => {
    const r = spawnSync(process.execPath, [bin, 'inspect', fixture], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^kind\s+component/m);
  });
});
