import { pino, type DestinationStream, type Logger } from 'pino';
import type { DecisionEventV1 } from './event.ts';
import type { DecisionLogSink } from './sink.ts';

/**
 * OPA's console decision log: one JSON line per event at level "info", the event
 * fields plus `"msg":"Decision Log"`, `"type":"openpolicyagent.org/decision_logs"`
 * and `"time"` as an RFC 3339 string. As on OPA's console (logrus), `error` is
 * the error's text (`code: message`), not the object the uploader sends.
 */
export function createConsoleSink(logger?: Logger): DecisionLogSink {
  const destination = logger ? undefined : pino.destination({ dest: 1, sync: false });
  const log = logger ?? createOpaConsoleLogger(destination);
  return {
    name: 'console',
    write(events) {
      for (const e of events) log.info({ ...e, ...(e.error ? { error: errorText(e.error) } : {}), type: 'openpolicyagent.org/decision_logs' }, 'Decision Log');
    },
    async flush() {
      if (destination) await new Promise<void>((resolve) => destination.flush(() => resolve()));
    },
    async close() {
      await this.flush();
    },
  };
}

/** OPA's Error() text: `[file:row: ]code: message`. */
export function errorText(e: NonNullable<DecisionEventV1['error']>): string {
  const at = e.location ? `${e.location.file}:${e.location.row}: ` : '';
  return `${at}${e.code}: ${e.message}`;
}

/** A pino logger writing OPA's console line shape: `"level":"info"`, `"time":"2026-01-01T00:00:00Z"`, no pid/hostname. */
export function createOpaConsoleLogger(destination?: DestinationStream): Logger {
  const options = { base: null, timestamp: () => `,"time":"${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}"`, formatters: { level: (label: string) => ({ level: label }) } };
  return destination ? pino(options, destination) : pino(options);
}
