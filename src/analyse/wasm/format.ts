import type { WasmFactsV1, WasmProducers } from '../../contract/input-v1.ts';
import type { WasmModuleFacts } from './inspect.ts';

const FIELDS = ['language', 'processed-by', 'sdk'] as const;
const PAD = ' '.repeat(16);

/** `language: Rust`, … for the fields that have entries (an empty field is left out, never printed as `-`). */
function producerLines(p: WasmProducers): string[] {
  const lines = FIELDS.filter((f) => p[f].length > 0).map((f) => `${f}: ${p[f].join(', ')}`);
  return lines.length > 0 ? lines : ['(a producers section with no language, processed-by or sdk entry)'];
}

function unitLabel(m: WasmModuleFacts): string {
  return `${m.kind} ${m.index}${m.name === null ? '' : ` "${m.name}"`}${m.parent === null ? ' (top level)' : ` (in ${m.parent})`}`;
}

/** A human-readable report of a module's facts (what `wasmgate inspect` prints without --json). */
export function formatWasmFacts(facts: WasmFactsV1 & { modules?: WasmModuleFacts[] }, size?: number): string {
  const lines: string[] = [];
  const block = (label: string, items: string[]): void => {
    if (items.length === 0) {
      lines.push(`${label.padEnd(16)}(none)`);
      return;
    }
    items.forEach((item, i) => lines.push(`${i === 0 ? label.padEnd(16) : PAD}${item}`));
  };
  const top = facts.modules?.[0];
  const empty = top !== undefined && top.sections === 0 ? `; empty ${facts.kind}: the 8-byte header and no sections (valid)` : '';
  lines.push(`${'digest'.padEnd(16)}${facts.digest}`);
  lines.push(`${'kind'.padEnd(16)}${facts.kind}${size === undefined ? (empty ? ` (${empty.slice(2)})` : '') : ` (${size} bytes${empty})`}`);
  block('imports', facts.imports);
  block('exports', facts.exports);
  const withProducers = (facts.modules ?? []).filter((m) => m.producers !== null);
  if (facts.producers === null) {
    block('producers', []);
  } else if (facts.modules === undefined || facts.modules.length <= 1) {
    block('producers', producerLines(facts.producers));
  } else {
    // a component: each module's (and component's) own producers, under its index and name
    block('producers', withProducers.flatMap((m) => [unitLabel(m), ...producerLines(m.producers as WasmProducers).map((l) => `  ${l}`)]));
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
