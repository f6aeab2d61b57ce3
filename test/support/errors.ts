import { WasmgateError } from '../../src/common/error.ts';

const foreign = (err: unknown): string => `NOT_A_WASMGATE_ERROR: ${String(err)}`;

/** The code `fn` throws (undefined when it does not throw; a marker for a foreign error). */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return WasmgateError.isWasmgateError(err) ? err.code : foreign(err);
  }
  return undefined;
}

/** The code `p` rejects with (undefined when it resolves; a marker for a foreign error). */
export async function rejectionCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return WasmgateError.isWasmgateError(err) ? err.code : foreign(err);
  }
  return undefined;
}

/** The WasmgateError `p` rejects with; anything else (or no rejection) fails the test. */
export async function errorOf(p: Promise<unknown>): Promise<WasmgateError> {
  try {
    await p;
  } catch (err) {
    if (WasmgateError.isWasmgateError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}
