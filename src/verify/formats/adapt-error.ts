/** Raised while adapting a wire format to a bundle; becomes a `malformed_evidence` entry, never escapes verify. */
export class AdaptError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AdaptError';
  }
}
