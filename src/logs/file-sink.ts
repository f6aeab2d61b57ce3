import { createWriteStream } from 'node:fs';
import type { DecisionLogSink } from './sink.ts';

export interface FileSinkOptions {
  path: string;
  /** bytes buffered in the stream before events are dropped */
  maxPendingBytes?: number;
  onDrop?: (n: number) => void;
  onError?: (err: Error) => void;
}

/** Appends one JSON event per line to a file; drops (and counts) when the disk cannot keep up. */
export function createFileSink(options: FileSinkOptions): DecisionLogSink {
  const stream = createWriteStream(options.path, { flags: 'a', mode: 0o640 });
  const max = options.maxPendingBytes ?? 64 * 1024 * 1024;
  let failed = false;
  stream.on('error', (err) => {
    failed = true;
    options.onError?.(err);
  });
  return {
    name: 'file',
    write(events) {
      if (failed || stream.writableLength > max) {
        options.onDrop?.(events.length);
        return;
      }
      let text = '';
      for (const e of events) text += `${JSON.stringify(e)}\n`;
      stream.write(text);
    },
    flush() {
      if (failed || stream.writableLength === 0) return Promise.resolve();
      return new Promise((resolve) => stream.once('drain', () => resolve()));
    },
    close() {
      return new Promise((resolve) => {
        if (failed) return resolve();
        stream.end(() => resolve());
      });
    },
  };
}
