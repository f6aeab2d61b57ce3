/**
 * Packs wasmgate the way `npm pack` does (prepack compiles dist/ with tsconfig.build.json), but in a
 * staging copy of the package's files, so the working tree never gains a dist/ (bin/wasmgate.js prefers
 * dist/ when present, and a stale one would shadow the sources). Writes wasmgate-<version>.tgz.
 *
 *   node scripts/release/pack.ts [out-dir]     (default: build/)
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Files `npm pack` would take from the working tree (the package.json `files` list, minus dist/). */
async function packedFiles(root: string): Promise<string[]> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 64 << 20 });
  const [report] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
  if (report === undefined) throw new Error('npm pack --dry-run printed no report');
  return report.files.map((f) => f.path).filter((p) => !p.startsWith('dist/'));
}

/** Stages, compiles and packs; returns the tarball's absolute path. */
export async function packRelease(outDir: string, root: string = REPO_ROOT): Promise<string> {
  const stage = await mkdtemp(join(tmpdir(), 'wasmgate-pack-'));
  try {
    for (const f of [...(await packedFiles(root)), 'tsconfig.json', 'tsconfig.build.json']) {
      await mkdir(dirname(join(stage, f)), { recursive: true });
      await cp(join(root, f), join(stage, f));
    }
    // The TypeScript sources prepack compiles (only dist/ and the data `files` names are packed).
    await cp(join(root, 'src'), join(stage, 'src'), { recursive: true });
    // The compiler and @types/node for prepack's `tsc`; not packed (node_modules is never in `files`).
    await symlink(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir');
    await mkdir(outDir, { recursive: true });
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', resolve(outDir)], { cwd: stage, maxBuffer: 64 << 20 });
    const [report] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string }>;
    if (report === undefined) throw new Error('npm pack printed no report');
    return join(resolve(outDir), report.filename);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await packRelease(process.argv[2] ?? join(REPO_ROOT, 'build')));
}
