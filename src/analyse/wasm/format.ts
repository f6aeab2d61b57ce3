import type { WasmFactsV1 } from '../../contract/input-v1.ts';

/** A human-readable report of a module's facts (what `wasmgate inspect` prints without --json). */
export function formatWasmFacts(facts: WasmFactsV1, size?: number): string {
  const lines: string[] = [];
  const block = (label: string, items: string[]): void => {
    const pad = ' '.repeat(16);
    if (items.length === 0) {
      lines.push(`${label.padEnd(16)}(none)`);
      return;
    }
    items.forEach((item, i) => lines.push(`${i === 0 ? label.padEnd(16) : pad}${item}`));
  };
  lines.push(`${'digest'.padEnd(16)}${facts.digest}`);
  lines.push(`${'kind'.padEnd(16)}${facts.kind}${size === undefined ? '' : ` (${size} bytes)`}`);
  block('imports', facts.imports);
  block('exports', facts.exports);
  if (facts.producers === null) {
    block('producers', []);
  } else {
    const p = facts.producers;
    block('producers', [
      `language: ${p.language.join(', ') || '-'}`,
      `processed-by: ${p['processed-by'].join(', ') || '-'}`,
      `sdk: ${p.sdk.join(', ') || '-'}`,
    ]);
  }
  if (facts.embedded_dependencies === null) {
    lines.push(`${'embedded deps'.padEnd(16)}(no .dep-v0 section)`);
  } else {
    block(
      'embedded deps',
      facts.embedded_dependencies.map((d) => `${d.name} ${d.version} (${d.source}${d.kind && d.kind !== 'runtime' ? `, ${d.kind}` : ''})`),
    );
  }
  block('custom sections', (facts.custom_sections ?? []).map((s) => `${s.name} (${s.size} bytes)`));
  return `${lines.join('\n')}\n`;
}
