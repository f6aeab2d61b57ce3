import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Structured logger. Credentials never reach a log line: the redact list covers
 * every field name that could carry one, wherever a caller nests it.
 */
export const REDACT_PATHS = [
  'password', '*.password', 'auth', '*.auth', 'token', '*.token', 'authorization', '*.authorization',
  'headers.authorization', 'headers.Authorization', '*.headers.authorization', '*.headers.Authorization',
  'identitytoken', '*.identitytoken', 'credentials', '*.credentials', 'secret', '*.secret',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({
    level: process.env.WASMGATE_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...options,
  });
}

/** A logger that writes nothing: for tests and for library use without a host logger. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
