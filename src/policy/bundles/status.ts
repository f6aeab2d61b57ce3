import type { BundleStatusV1 } from '../../status/types.ts';

/** OPA's per-bundle status (v1/plugins/bundle/status.go), with the fields wasmgate fills. */
export interface BundleStatus extends BundleStatusV1 {
  /** HTTP status of the last failed download (a JSON number, as OPA sends it) */
  http_code?: number;
  /** byte size of the active bundle */
  size?: number;
  /** wasmgate: where the active bundle came from (`source`, or `persisted` after a restart with the source down) */
  activated_from?: 'source' | 'persisted';
  /** wasmgate: signature state of the active bundle (`verified` or `unsigned`) */
  signature?: string;
}

/** The status of one configured bundle, updated as its loader works. */
export class BundleStatusRecord {
  #s: BundleStatus;

  constructor(name: string) {
    this.#s = { name, type: 'snapshot' };
  }

  setRequest(at: Date): void {
    this.#s.last_request = at.toISOString();
  }

  setRequestSuccess(at: Date): void {
    this.#s.last_successful_request = at.toISOString();
    delete this.#s.http_code;
  }

  setDownloadSuccess(at: Date): void {
    this.#s.last_successful_download = at.toISOString();
  }

  setActivateSuccess(at: Date, revision: string, size: number, from: 'source' | 'persisted', signature: string, type: 'snapshot' | 'delta' = 'snapshot'): void {
    this.#s.type = type;
    this.#s.active_revision = revision;
    this.#s.last_successful_activation = at.toISOString();
    this.#s.size = size;
    this.#s.activated_from = from;
    this.#s.signature = signature;
    this.clearError();
  }

  /** Records a failure in OPA's shape: code bundle_error, the message, the wasmgate code in errors[]. */
  setError(code: string, message: string, httpCode?: number): void {
    this.#s.code = 'bundle_error';
    this.#s.message = message;
    this.#s.errors = [{ code, message }];
    if (httpCode !== undefined) this.#s.http_code = httpCode;
    else delete this.#s.http_code;
  }

  clearError(): void {
    delete this.#s.code;
    delete this.#s.message;
    delete this.#s.errors;
    delete this.#s.http_code;
  }

  snapshot(): BundleStatus {
    return structuredClone(this.#s);
  }
}
