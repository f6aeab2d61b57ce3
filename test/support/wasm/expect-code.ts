import { expect } from 'vitest';
import { WasmgateError } from '../../../src/common/error.ts';

/** Runs fn and asserts it throws a WasmgateError of the given class with the given code. */
export function expectThrowsCode(fn: () => unknown, errorClass: abstract new (...args: never[]) => Error, code: string): WasmgateError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'expected a throw').toBeInstanceOf(errorClass);
  expect(WasmgateError.isWasmgateError(thrown)).toBe(true);
  const err = thrown as WasmgateError;
  expect(err.code, err.message).toBe(code);
  return err;
}
