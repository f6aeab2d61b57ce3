import { InvalidReferenceError } from './error.ts';
import { DIGEST_RE, DOMAIN_RE, NAME_TOTAL_LENGTH_MAX, PATH_COMPONENT_RE, TAG_RE } from './grammar.ts';

/** Docker Hub's canonical registry name, and the host that actually serves its API. */
export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
export const DEFAULT_TAG = 'latest';

/** A module in a registry: `registry/repo[:tag][@sha256:…]`. */
export interface RegistryReference {
  kind: 'registry';
  /** the reference as asked */
  original: string;
  /** canonical registry host[:port]; Docker Hub is `docker.io` */
  registry: string;
  /** repository path inside the registry (Docker Hub one-part names get `library/`) */
  repository: string;
  /** the tag, when one was named or defaulted (`latest` when neither tag nor digest is given) */
  tag?: string;
  /** the digest, when one was named; it wins over the tag */
  digest?: string;
}

/** A module in an OCI image-layout directory: `oci:<dir>[:<tag>]` or `oci:<dir>@sha256:…` (skopeo's syntax). */
export interface LayoutReference {
  kind: 'oci-layout';
  original: string;
  /** the layout directory as written (relative paths are resolved by the store) */
  dir: string;
  /** `org.opencontainers.image.ref.name` to look up; absent when a digest is named or the index has one manifest */
  tag?: string;
  digest?: string;
}

export type ModuleReference = RegistryReference | LayoutReference;

const MAX_REFERENCE_LENGTH = 4096;

/**
 * Parses a module reference. Registry references follow Docker's rules: the first path component is a registry
 * host when it contains `.` or `:` or is `localhost`, otherwise the registry is Docker Hub; a one-part Docker Hub
 * name gets `library/`; with neither tag nor digest the tag is `latest`. `oci:` selects an OCI layout directory.
 */
export function parseReference(text: string): ModuleReference {
  if (typeof text !== 'string' || text.length === 0) {
    throw new InvalidReferenceError('module reference is empty: give registry/repository:tag, registry/repository@sha256:<hex> or oci:<dir>:<tag>');
  }
  if (text.length > MAX_REFERENCE_LENGTH) {
    throw new InvalidReferenceError(`module reference is ${text.length} characters long; the limit is ${MAX_REFERENCE_LENGTH}`);
  }
  if (text.startsWith('oci:')) return parseLayoutReference(text);
  return parseRegistryReference(text);
}

function parseLayoutReference(text: string): LayoutReference {
  const rest = text.slice('oci:'.length);
  // `oci:<dir>[:<tag>][@sha256:…]`: the digest follows the last '@'; skopeo splits the rest at the first ':' — a
  // layout path cannot contain one. With both, the digest wins (as for registry references).
  const at = rest.lastIndexOf('@');
  const head = at >= 0 ? rest.slice(0, at) : rest;
  const digest = at >= 0 ? rest.slice(at + 1) : undefined;
  const colon = head.indexOf(':');
  const dir = colon >= 0 ? head.slice(0, colon) : head;
  const tag = colon >= 0 ? head.slice(colon + 1) : undefined;
  checkLayoutDir(text, dir);
  if (tag !== undefined && !TAG_RE.test(tag)) {
    throw new InvalidReferenceError(`invalid tag ${JSON.stringify(tag)} in ${JSON.stringify(text)}: a tag is 1-128 of [A-Za-z0-9_.-] and does not start with . or -`);
  }
  if (digest !== undefined) checkDigest(text, digest);
  const ref: LayoutReference = { kind: 'oci-layout', original: text, dir };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

function checkLayoutDir(text: string, dir: string): void {
  if (dir.length === 0) {
    throw new InvalidReferenceError(`${JSON.stringify(text)} names no directory: use oci:<dir>:<tag> or oci:<dir>@sha256:<hex>`);
  }
  if (CONTROL_CHARS.test(dir)) throw new InvalidReferenceError(`${JSON.stringify(text)}: the directory contains a NUL byte or another control character`);
}

function checkDigest(text: string, digest: string): void {
  if (!DIGEST_RE.test(digest)) {
    throw new InvalidReferenceError(
      `malformed digest ${JSON.stringify(digest)} in ${JSON.stringify(text)}: expected sha256: followed by 64 lowercase hex digits`,
    );
  }
}

function parseRegistryReference(text: string): RegistryReference {
  if (WHITESPACE_OR_CONTROL.test(text)) {
    throw new InvalidReferenceError(`${JSON.stringify(text)} is not a valid reference: it contains whitespace or control characters`);
  }
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(text, digest);
  }
  // a tag follows the last ':' that comes after the last '/' (a ':' before it is a port)
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag)) {
      throw new InvalidReferenceError(`invalid tag ${JSON.stringify(tag)} in ${JSON.stringify(text)}: a tag is 1-128 of [A-Za-z0-9_.-] and does not start with . or -`);
    }
  }
  if (rest.length === 0) throw new InvalidReferenceError(`${JSON.stringify(text)} names no repository`);

  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!DOMAIN_RE.test(first)) throw new InvalidReferenceError(`invalid registry host ${JSON.stringify(first)} in ${JSON.stringify(text)}`);
    registry = first.toLowerCase();
    parts.shift();
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  for (const part of parts) {
    if (!PATH_COMPONENT_RE.test(part)) {
      throw new InvalidReferenceError(
        `invalid repository path component ${JSON.stringify(part)} in ${JSON.stringify(text)}: use lowercase letters, digits and single . _ - separators`,
      );
    }
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (registry.length + 1 + repository.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(`repository name in ${JSON.stringify(text)} is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const ref: RegistryReference = { kind: 'registry', original: text, registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  else if (tag === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/** `registry/repository` for registries, `oci:<dir>` for layouts (the `repository` of a ModuleTarget). */
export function repositoryName(ref: ModuleReference): string {
  return ref.kind === 'registry' ? `${ref.registry}/${ref.repository}` : `oci:${ref.dir}`;
}

/** Canonical text of a reference (round-trips through parseReference). */
export function formatReference(ref: ModuleReference): string {
  const base = repositoryName(ref);
  if (ref.digest !== undefined) return ref.tag !== undefined ? `${base}:${ref.tag}@${ref.digest}` : `${base}@${ref.digest}`;
  return ref.tag !== undefined ? `${base}:${ref.tag}` : base;
}

/**
 * What a digest-pinned reference names, whatever its spelling: `repository@sha256:…` (`registry/repo` with Docker
 * Hub's defaults applied, or `oci:<dir>` exactly as the directory was written). A tag next to a digest is not part
 * of it (the digest wins). Null when the reference is not pinned by digest. Decision cache keys are built from it.
 */
export function pinnedSubject(ref: ModuleReference): string | null {
  return ref.digest === undefined ? null : `${repositoryName(ref)}@${ref.digest}`;
}

/** parseReference, or null for text that is not a reference (for callers that must not throw). */
export function tryParseReference(text: string): ModuleReference | null {
  try {
    return parseReference(text);
  } catch {
    return null;
  }
}

/** The host that serves a registry's API (Docker Hub's API lives on registry-1.docker.io). */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** cosign's tag for something attached to a digest: `sha256-<hex>[.<suffix>]`; no suffix is the OCI referrers tag. */
export function digestTag(digest: string, suffix?: 'sig' | 'att' | 'sbom'): string {
  const tag = digest.replace(':', '-');
  return suffix === undefined ? tag : `${tag}.${suffix}`;
}
