import type { Evidence, InputV1 } from '../contract/input-v1.ts';

const evidenceJson = new WeakMap<Evidence, string>();
const evidenceBytes = new WeakMap<Evidence, Uint8Array>();
const encoder = new TextEncoder();

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

function evidenceUtf8(e: Evidence): Uint8Array {
  let bytes = evidenceBytes.get(e);
  if (bytes === undefined) {
    bytes = encoder.encode(evidenceText(e));
    evidenceBytes.set(e, bytes);
  }
  return bytes;
}

/**
 * serializeInput as UTF-8 bytes in one fresh ArrayBuffer (transferable to a worker without a copy): each evidence
 * entry is encoded once per evidence object, so a decision copies its cached bytes instead of re-serialising,
 * re-flattening and re-encoding hundreds of KiB of predicates.
 */
export function serializeInputBytes(input: InputV1): Uint8Array {
  const chunks: Uint8Array[] = [];
  let text = '{';
  let first = true;
  const flush = (): void => {
    if (text.length > 0) chunks.push(encoder.encode(text));
    text = '';
  };
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const group = (GROUPS as readonly string[]).includes(key) && Array.isArray(value);
    if (group) {
      text += `${first ? '' : ','}${JSON.stringify(key)}:[`;
      (value as Evidence[]).forEach((e, i) => {
        if (i > 0) text += ',';
        flush();
        chunks.push(evidenceUtf8(e));
      });
      text += ']';
    } else {
      const t = JSON.stringify(value);
      if (t === undefined) continue;
      text += `${first ? '' : ','}${JSON.stringify(key)}:${t}`;
    }
    first = false;
  }
  text += '}';
  flush();
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
