/**
 * Answered requests kept for overrides: a bounded LRU keyed by the host's own
 * cache key, so a host that asks again (new requestId) replaces its old entry.
 */
import type { PolicyRequestV1 } from './protocol.ts';

export interface AnsweredRequest {
  request: PolicyRequestV1;
  /** what the host currently believes (the last answer or override sent) */
  permitted: boolean;
}

export class RequestCache {
  readonly #max: number;
  readonly #entries = new Map<string, AnsweredRequest>();
  #evicted = 0;

  constructor(max: number) {
    this.#max = max;
  }

  set(key: string, entry: AnsweredRequest): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
      this.#evicted++;
    }
  }

  get(key: string): AnsweredRequest | undefined {
    return this.#entries.get(key);
  }

  /** A snapshot, so callers may mutate the cache while iterating. */
  entries(): Array<[string, AnsweredRequest]> {
    return [...this.#entries];
  }

  get size(): number {
    return this.#entries.size;
  }

  /** entries dropped for space (their decisions can no longer be overridden) */
  get evicted(): number {
    return this.#evicted;
  }
}
