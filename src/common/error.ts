/**
 * One error base for all of wasmgate. Every error carries a stable `code`
 * (SCREAMING_SNAKE, per module) and a human message that names what was wrong
 * and what to do. Foreign errors are wrapped with `cause`, never rethrown bare.
 * The base is abstract: each area throws its own class (src/<area>/error.ts),
 * typed by that area's code union, so an undeclared code does not compile.
 * decide/reasons.ts maps every code below decide to a fail-closed reason.
 */
const BRAND = Symbol.for('wasmgate.error');

export abstract class WasmgateError<C extends string = string> extends Error {
  readonly code: C;
  /** Extra machine-readable facts (a field path, an HTTP status, a digest). Never credentials. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: C, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static isWasmgateError(value: unknown): value is WasmgateError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  toJSON(): { code: C; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Codes of common/ itself. */
export type CommonErrorCode =
  /** wasmgate's own package.json (its version) is not where the install put it */
  | 'VERSION_UNKNOWN';

export class CommonError extends WasmgateError<CommonErrorCode> {}

/** Normalise anything thrown (strings, plain objects, Errors) into a message. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (typeof err === 'object' && err !== null && 'message' in err && typeof (err as { message: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
