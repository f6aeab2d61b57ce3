import { WasmgateError } from '../common/error.ts';

/**
 * Codes for everything that can go wrong fetching content, from a registry or an OCI layout. Each maps to one
 * fail-closed reason of the sidecar (see docs/collect.md).
 */
export type RegistryErrorCode =
  /** network failure, connection refused/reset, a body cut short, or 5xx/429 still failing after the retries */
  | 'REGISTRY_UNREACHABLE'
  /** 401/403 after authenticating (or no credentials for a registry that needs them) */
  | 'REGISTRY_UNAUTHORIZED'
  /** the manifest or tag does not exist */
  | 'MANIFEST_UNKNOWN'
  /** the blob does not exist */
  | 'BLOB_UNKNOWN'
  /** content does not hash to the digest it was asked for (or the registry's Docker-Content-Digest disagrees) */
  | 'DIGEST_MISMATCH'
  /** content is larger than its bound (checked before reading where the size is announced) */
  | 'SIZE_LIMIT_EXCEEDED'
  /** the per-request timeout or the overall deadline passed */
  | 'DEADLINE_EXCEEDED'
  /** the caller cancelled */
  | 'ABORTED'
  /** the registry host is not in the allow-list, or would need plain HTTP without being loopback/insecure */
  | 'HOST_NOT_ALLOWED'
  /** a response that breaks the distribution spec: bad JSON, unknown media type, wrong shape */
  | 'REGISTRY_PROTOCOL_ERROR'
  /** an OCI layout directory that is missing or malformed, or holds a link, FIFO or device where a file belongs */
  | 'LAYOUT_INVALID'
  /** an OCI layout directory outside the configured roots (`registries.layouts`) */
  | 'LAYOUT_NOT_ALLOWED'
  /** a manifest or index that is not valid JSON or breaks the OCI image spec */
  | 'MANIFEST_INVALID'
  /** a redirect wasmgate refuses to follow (another origin not in registries.redirect_hosts, another scheme) */
  | 'REGISTRY_REDIRECT_REFUSED'
  /** a token realm wasmgate refuses to ask (not the registry's host nor in registries.token_realms) */
  | 'REGISTRY_REALM_REFUSED'
  /** a transport option (timeout, retries, connections) that is not a usable number: a programming error */
  | 'INVALID_ARGUMENT';

export class RegistryError extends WasmgateError<RegistryErrorCode> {
  constructor(code: RegistryErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
  }
}

export function isRegistryError(value: unknown, code?: RegistryErrorCode): value is RegistryError {
  return value instanceof RegistryError && (code === undefined || value.code === code);
}
