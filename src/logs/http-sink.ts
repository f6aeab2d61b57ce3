import { gzipSync } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { messageOf } from '../common/error.ts';
import type { Logger } from '../common/logger.ts';
import { createServiceClient, type ServiceClient } from '../services/client.ts';
import type { DecisionLogSink } from './sink.ts';

export interface HttpSinkOptions {
  /** service base URL + resource (+ /partition) */
  url: string;
  /**
   * the decision-log service's client (headers, TLS, credentials); the sink owns and closes it. Without one the
   * sink builds one from `url`, `headers` and `bearer`.
   */
  client?: ServiceClient;
  headers?: Record<string, string>;
  bearer?: { token?: string; token_path?: string; scheme?: string };
  /** compressed bytes per upload (OPA upload_size_limit_bytes, default 32768) */
  uploadSizeLimitBytes: number;
  /** events held while uploads fail; the oldest are dropped beyond it */
  bufferSizeLimitEvents: number;
  bufferSizeLimitBytes?: number;
  trigger: 'periodic' | 'immediate' | 'manual';
  minDelayMs: number;
  maxDelayMs: number;
  /** backoff bounds after a failed upload */
  minRetryMs?: number;
  maxRetryMs?: number;
  timeoutMs?: number;
  onDropped?: (n: number, why: 'events' | 'bytes') => void;
  onEncodingFailure?: (n: number) => void;
  onUploadResult?: (ok: boolean, detail: { http_code?: number; message?: string }) => void;
  logger?: Logger;
}

interface Queued {
  json: string;
  bytes: number;
}

/**
 * Uploads decision events in OPA's protocol: POST gzip-compressed JSON arrays,
 * each chunk at most `uploadSizeLimitBytes` compressed; failures requeue the
 * chunk and back off exponentially. The buffer is bounded; dropped events are counted.
 */
export function createHttpSink(options: HttpSinkOptions): DecisionLogSink {
  const queue: Queued[] = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let uploading: Promise<void> | undefined;
  let failures = 0;
  let closed = false;
  const minRetry = options.minRetryMs ?? 100;
  const maxRetry = options.maxRetryMs ?? options.maxDelayMs;

  const schedule = (ms: number): void => {
    if (closed || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void upload().finally(() => {
        if (queue.length > 0 || options.trigger === 'periodic') schedule(nextDelay());
      });
    }, ms);
    timer.unref();
  };

  const nextDelay = (): number => {
    if (failures > 0) return Math.min(maxRetry, minRetry * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
    if (options.trigger === 'immediate') return 0;
    return options.minDelayMs + Math.random() * (options.maxDelayMs - options.minDelayMs);
  };

  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = options.client ?? createServiceClient({
    name: 'decision_logs',
    url: new URL(options.url).origin,
    ...(options.headers !== undefined && { headers: options.headers }),
    ...(options.bearer !== undefined && { credentials: { bearer: options.bearer } }),
    response_header_timeout_seconds: timeoutMs / 1000,
    allow_insecure_tls: false,
  });

  const gzipFirst = (n: number): Buffer => gzipSync(n === 1 ? `[${queue[0]!.json}]` : `[${queue.slice(0, n).map((q) => q.json).join(',')}]`);

  // Takes the next chunk off the queue: as many events as fit the compressed limit
  // (doubling, then a binary search between the last fit and the first miss).
  const nextChunk = (): { body: Buffer; count: number } | undefined => {
    const limit = options.uploadSizeLimitBytes;
    while (queue.length > 0) {
      let best = gzipFirst(1);
      if (best.length > limit) {
        // a single event larger than the limit can never be sent
        queuedBytes -= queue.shift()!.bytes;
        options.onEncodingFailure?.(1);
        continue;
      }
      let lo = 1;
      let hi = Math.min(2, queue.length);
      while (hi > lo) {
        const b = gzipFirst(hi);
        if (b.length > limit) break;
        lo = hi;
        best = b;
        hi = Math.min(hi * 2, queue.length);
      }
      let upper = hi > lo ? hi - 1 : lo;
      while (lo < upper) {
        const mid = Math.ceil((lo + upper) / 2);
        const b = gzipFirst(mid);
        if (b.length <= limit) {
          lo = mid;
          best = b;
        } else {
          upper = mid - 1;
        }
      }
      return { body: best, count: lo };
    }
    return undefined;
  };

  const uploadOnce = async (): Promise<void> => {
    while (queue.length > 0) {
      const chunk = nextChunk();
      if (!chunk) return;
      let res: Dispatcher.ResponseData;
      try {
        res = await client.request(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: chunk.body,
          totalTimeoutMs: timeoutMs,
        });
        await res.body.dump().catch(() => undefined);
      } catch (err) {
        failures++;
        options.onUploadResult?.(false, { message: messageOf(err) });
        return;
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        failures++;
        options.onUploadResult?.(false, { http_code: res.statusCode, message: `log upload failed, server replied with HTTP ${res.statusCode}` });
        return;
      }
      failures = 0;
      const sent = queue.splice(0, chunk.count);
      for (const s of sent) queuedBytes -= s.bytes;
      options.onUploadResult?.(true, {});
    }
  };

  const upload = (): Promise<void> => {
    uploading ??= uploadOnce().finally(() => {
      uploading = undefined;
    });
    return uploading;
  };

  if (options.trigger === 'periodic') schedule(nextDelay());

  return {
    name: 'http',
    write(events) {
      let encodingFailures = 0;
      for (const e of events) {
        let json: string;
        try {
          json = JSON.stringify(e);
        } catch {
          encodingFailures++;
          continue;
        }
        queue.push({ json, bytes: json.length });
        queuedBytes += json.length;
      }
      if (encodingFailures > 0) options.onEncodingFailure?.(encodingFailures);
      let droppedEvents = 0;
      while (queue.length > options.bufferSizeLimitEvents) {
        queuedBytes -= queue.shift()!.bytes;
        droppedEvents++;
      }
      if (droppedEvents > 0) options.onDropped?.(droppedEvents, 'events');
      let droppedBytes = 0;
      const limit = options.bufferSizeLimitBytes;
      while (limit !== undefined && limit > 0 && queuedBytes > limit && queue.length > 0) {
        queuedBytes -= queue.shift()!.bytes;
        droppedBytes++;
      }
      if (droppedBytes > 0) options.onDropped?.(droppedBytes, 'bytes');
      if (options.trigger === 'immediate' && failures === 0) schedule(0);
    },
    async flush() {
      await upload();
    },
    async close(deadline) {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      // keeps trying (with backoff) until everything is sent or the deadline passes
      while (queue.length > 0 && Date.now() < deadline) {
        await upload();
        if (queue.length === 0) break;
        const wait = Math.min(deadline - Date.now(), Math.min(maxRetry, minRetry * 2 ** Math.max(0, failures - 1)));
        if (wait <= 0) break;
        await new Promise((r) => setTimeout(r, wait));
      }
      if (queue.length > 0) {
        options.logger?.warn({ events: queue.length }, 'decision log events not uploaded before shutdown');
        options.onDropped?.(queue.length, 'events');
        queue.length = 0;
      }
      await client.close();
    },
  };
}
