/**
 * After `. scripts/env.sh` the documented `wasmgate ...` commands work from any directory: env.sh puts
 * scripts/bin (the checkout's `wasmgate` shim) on PATH, with the project's Node.js.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

describe('. scripts/env.sh', () => {
  it('puts `wasmgate` on PATH: the README commands run from another directory', async () => {
    const script = `. ${JSON.stringify(join(REPO, 'scripts/env.sh'))} && cd / && command -v wasmgate && wasmgate --version && wasmgate check ${JSON.stringify(`oci:${join(REPO, 'demo/store')}:payments`)}`;
    // a PATH without the project's tools: only env.sh can make `wasmgate` (and node) resolvable
    const { stdout } = await run('bash', ['-c', script], { env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/' } });
    const [where, version, decision] = stdout.split('\n');
    expect(where).toBe(join(REPO, 'scripts/bin/wasmgate'));
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(decision).toMatch(/^ALLOW /);
  }, 60_000);
});
