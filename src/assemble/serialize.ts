import type { Evidence, InputV1 } from './input-v1.ts';

const evidenceJson = new WeakMap<Evidence, string>();

function evidenceText(e: Evidence): string {
  let text = evidenceJson.get(e);
  if (text === undefined) {
    text = JSON.stringify(e);
    evidenceJson.set(e, text);
  }
  return text;
}

const GROUPS = ['signatures', 'sbom_attestations', 'provenance_attestations', 'other_attestations'] as const;

/**
 * The input document as JSON text, equal to JSON.stringify(input) (same keys, same order), with each evidence
 * entry serialised once per evidence object: entries served by the verification cache (the whole SBOM predicate,
 * hundreds of KiB) are not stringified again on every decision. Entries must not be mutated after first use.
 */
export function serializeInput(input: InputV1): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const group = (GROUPS as readonly string[]).includes(key) && Array.isArray(value);
    const text = group ? `[${(value as Evidence[]).map(evidenceText).join(',')}]` : JSON.stringify(value);
    if (text === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}
