import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const QUICK = process.argv.includes('--quick') || process.env['WASMGATE_BENCH_QUICK'] === '1';

/** Writes bench/results/<name>.json. */
export async function writeResult(name: string, result: unknown): Promise<string> {
  const path = join(ROOT, 'bench', 'results', `${name}.json`);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

/**
 * Replaces the `<!-- marker:begin -->…<!-- marker:end -->` section of docs/benchmarks.md
 * (appending it when absent); `body` is the text between the markers.
 */
export async function writeDocSection(marker: string, body: string): Promise<void> {
  const docPath = join(ROOT, 'docs', 'benchmarks.md');
  const section = `<!-- ${marker}:begin -->\n${body.trim()}\n<!-- ${marker}:end -->`;
  let doc = await readFile(docPath, 'utf8').catch(() => '# Benchmarks\n');
  const re = new RegExp(`<!-- ${marker}:begin -->[\\s\\S]*<!-- ${marker}:end -->`);
  doc = re.test(doc) ? doc.replace(re, () => section) : `${doc.trimEnd()}\n\n${section}\n`;
  await writeFile(docPath, doc);
}
