/**
 * The child process of the crash-safety suite (test/reliability/crash.test.ts), killed with
 * SIGKILL at random points. Run by Node's type stripping:
 *
 *   node crash-child.ts bundle <persistDir> <bundleFile> <a.tar.gz> <b.tar.gz>
 *     swaps <bundleFile> between A and B (write + rename) and triggers the BundleManager
 *     (file source, persist: true) in a loop: every activation persists the bundle.
 *   node crash-child.ts db <persistDir> <url>
 *     refreshes a VulnDatabase from <url> (a new export each time) in a loop: every refresh persists it.
 *
 * Prints one line per completed step ("ready", "step <n> <revision|version>") on stdout.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { VulnDatabase } from '../../../src/analyse/vulns/holder.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { createBundleManager } from '../../../src/policy/bundles/index.ts';

const [mode, persistDir, ...rest] = process.argv.slice(2);
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

if (mode === 'bundle') {
  const [bundleFile, aPath, bPath] = rest as [string, string, string];
  const builds = [await readFile(aPath), await readFile(bPath)];
  const config = parseConfig(`bundles: {crash: {resource: "${bundleFile}", persist: true, trigger: manual}}\npersistence_directory: "${persistDir}"\n`);
  const manager = createBundleManager({ config: { bundles: config.bundles, persistence_directory: persistDir! }, load: { requiredEntrypoints: ['wasm/sbom'] }, embedded: false, debounceMs: 1_000_000 });
  await manager.start();
  say('ready');
  for (let n = 1; ; n++) {
    const tmp = `${bundleFile}.tmp`;
    await writeFile(tmp, builds[n % 2]!);
    await rename(tmp, bundleFile);
    await manager.trigger('crash');
    say(`step ${n} ${manager.active()?.revision ?? 'none'}`);
  }
} else if (mode === 'db') {
  const [url] = rest as [string];
  const db = await VulnDatabase.open({ persistenceDirectory: persistDir!, url });
  say('ready');
  for (let n = 1; ; n++) {
    const outcome = await db.refresh();
    say(`step ${n} ${outcome.version}`);
  }
} else {
  process.stderr.write('usage: crash-child.ts bundle|db …\n');
  process.exit(2);
}
