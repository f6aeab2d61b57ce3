/**
 * bin/wasmgate.js picks what to run: the TypeScript sources in a checkout, even with a dist/ left over from a build
 * (a stale compiled tree once shadowed fresh sources), and dist/ in an installed package, which has no sources.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../../bin/wasmgate.js', import.meta.url));

describe('bin/wasmgate.js', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-bin-'));
    await mkdir(join(dir, 'bin'));
    await copyFile(BIN, join(dir, 'bin', 'wasmgate.js'));
    await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
    await mkdir(join(dir, 'dist', 'src', 'cli'), { recursive: true });
    await writeFile(join(dir, 'dist', 'src', 'cli', 'main.js'), "console.log('compiled');\n");
    await mkdir(join(dir, 'src', 'cli'), { recursive: true });
    await writeFile(join(dir, 'src', 'cli', 'main.ts'), "const from: string = 'sources';\nconsole.log(from);\n");
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('runs the sources in a checkout, even beside a dist/ from an earlier build', async () => {
    expect((await run(process.execPath, [join(dir, 'bin', 'wasmgate.js')])).stdout.trim()).toBe('sources');
  });

  it('runs the compiled build where there are no sources (an installed package)', async () => {
    await rm(join(dir, 'src'), { recursive: true });
    expect((await run(process.execPath, [join(dir, 'bin', 'wasmgate.js')])).stdout.trim()).toBe('compiled');
  });
});
