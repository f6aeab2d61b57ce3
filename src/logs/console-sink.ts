import { pino, type Logger } from 'pino';
import type { DecisionLogSink } from './sink.ts';

/**
 * OPA's console decision log: one JSON line per event at info level, the event
 * fields plus `"msg":"Decision Log"` and `"type":"openpolicyagent.org/decision_logs"`.
 */
export function createConsoleSink(logger?: Logger): DecisionLogSink {
  const destination = logger ? undefined : pino.destination({ dest: 1, sync: false });
  const log = logger ?? pino({ base: null, formatters: { level: (label) => ({ level: label }) } }, destination);
  return {
    name: 'console',
    write(events) {
      for (const e of events) log.info({ ...e, type: 'openpolicyagent.org/decision_logs' }, 'Decision Log');
    },
    async flush() {
      if (destination) await new Promise<void>((resolve) => destination.flush(() => resolve()));
    },
    async close() {
      await this.flush();
    },
  };
}

