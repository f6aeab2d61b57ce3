import type { DecisionEventV1 } from './event.ts';

/** Where decision events go. `write` must not throw; a sink that cannot keep up drops and counts. */
export interface DecisionLogSink {
  readonly name: string;
  write(events: readonly DecisionEventV1[]): void;
  /** sends what is buffered (HTTP) or waits for the stream to drain (file) */
  flush(): Promise<void>;
  /** flushes until `deadline` (ms since the epoch), then releases resources */
  close(deadline: number): Promise<void>;
}
