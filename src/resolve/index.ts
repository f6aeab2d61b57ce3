export {
  parseReference, tryParseReference, formatReference, pinnedSubject, repositoryName, registryApiHost, digestTag,
  DOCKER_HUB, DOCKER_HUB_API_HOST, DEFAULT_TAG,
} from './reference.ts';
export type { ModuleReference, RegistryReference, LayoutReference } from './reference.ts';
export { isDigest, DIGEST_RE, TAG_RE } from './grammar.ts';
export { InvalidReferenceError } from './error.ts';
export type { ResolveErrorCode } from './error.ts';
