/** True for a non-null, non-array object: a JSON object, or anything read as one. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
