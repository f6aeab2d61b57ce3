import { SIMPLE_SIGNING_TYPE } from '../../oci/media-types.ts';
import type { ParseResult } from './statement.ts';
import { isRecord as isObject } from '../../common/is-record.ts';

export interface SimpleSigning {
  dockerManifestDigest: string;
  dockerReference?: string;
  optional: unknown;
}

/** Parses cosign's simple-signing payload (`critical.image.docker-manifest-digest`). */
export function parseSimpleSigning(payload: Uint8Array): ParseResult<SimpleSigning> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return { ok: false, message: 'the simple-signing payload is not JSON' };
  }
  const critical = isObject(json) ? json.critical : undefined;
  if (!isObject(json) || !isObject(critical)) return { ok: false, message: 'the simple-signing payload has no critical section' };
  if (critical.type !== SIMPLE_SIGNING_TYPE) return { ok: false, message: `critical.type is ${JSON.stringify(critical.type)}, expected ${JSON.stringify(SIMPLE_SIGNING_TYPE)}` };
  const image = critical.image;
  const digest = isObject(image) ? image['docker-manifest-digest'] : undefined;
  if (typeof digest !== 'string') return { ok: false, message: 'critical.image.docker-manifest-digest is missing' };
  const identity = critical.identity;
  const ref = isObject(identity) && typeof identity['docker-reference'] === 'string' ? identity['docker-reference'] : undefined;
  return { ok: true, value: { dockerManifestDigest: digest.toLowerCase(), ...(ref === undefined ? {} : { dockerReference: ref }), optional: json.optional ?? null } };
}
