import { IN_TOTO_PAYLOAD_TYPE, STATEMENT_TYPES } from '../../oci/media-types.ts';
import { isRecord as isObject } from '../../common/is-record.ts';

export interface StatementV1 {
  type: string;
  predicateType: string;
  predicate: unknown;
  subjectDigests: string[];
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Parses an in-toto statement (v0.1 or v1) carried in a DSSE envelope. */
export function parseStatement(payloadType: string, payload: Uint8Array): ParseResult<StatementV1> {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) return { ok: false, message: `DSSE payloadType is ${JSON.stringify(payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}` };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return { ok: false, message: 'the in-toto statement is not JSON' };
  }
  if (!isObject(json)) return { ok: false, message: 'the in-toto statement is not a JSON object' };
  const type = json._type;
  if (typeof type !== 'string' || !STATEMENT_TYPES.includes(type)) return { ok: false, message: `statement _type ${JSON.stringify(type)} is not ${STATEMENT_TYPES.join(' or ')}` };
  if (typeof json.predicateType !== 'string' || json.predicateType === '') return { ok: false, message: 'the statement has no predicateType' };
  if (!Array.isArray(json.subject)) return { ok: false, message: 'the statement has no subject list' };
  const subjectDigests: string[] = [];
  for (const s of json.subject) {
    if (!isObject(s) || !isObject(s.digest)) continue;
    for (const [alg, hex] of Object.entries(s.digest)) {
      if (typeof hex === 'string') subjectDigests.push(`${alg.toLowerCase()}:${hex.toLowerCase()}`);
    }
  }
  return { ok: true, value: { type, predicateType: json.predicateType, predicate: json.predicate, subjectDigests } };
}

/** The digests that name this module: its manifest digest, its wasm layer digest and, for an index, the index digest. */
export function subjectMatches(subjectDigests: readonly string[], moduleDigests: readonly string[]): boolean {
  const wanted = new Set(moduleDigests.map((d) => d.toLowerCase()));
  return subjectDigests.some((d) => wanted.has(d));
}
