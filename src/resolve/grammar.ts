/**
 * The image-name grammar (distribution/reference), built from small named pieces.
 * Only sha256 digests are accepted: everything wasmgate fetches is checked against one.
 */
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
/** one path component of a repository name */
export const PATH_COMPONENT = `${alnum}(?:${separator}${alnum})*`;
const domainLabel = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
/** registry host with optional port */
export const DOMAIN = `(?:${domainLabel}(?:\\.${domainLabel})*|${ipv6})(?::[0-9]+)?`;
export const TAG = '[\\w][\\w.-]{0,127}';
export const DIGEST = 'sha256:[a-f0-9]{64}';

export const PATH_COMPONENT_RE = new RegExp(`^${PATH_COMPONENT}$`);
export const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
export const TAG_RE = new RegExp(`^${TAG}$`);
export const DIGEST_RE = new RegExp(`^${DIGEST}$`);

/** Maximum length of `registry/repository` (distribution's NameTotalLengthMax). */
export const NAME_TOTAL_LENGTH_MAX = 255;

export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}
