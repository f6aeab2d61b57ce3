import { WasmInspectError } from './error.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A bounds-checked cursor over untrusted bytes. Every read checks the end
 * first; sub-readers are views (no copies), so memory stays bounded by the input.
 * `base` is the absolute offset of this view, for error messages.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly base: number;
  pos = 0;

  constructor(bytes: Uint8Array, base = 0) {
    this.bytes = bytes;
    this.base = base;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  get offset(): number {
    return this.base + this.pos;
  }

  byte(what: string): number {
    const b = this.bytes[this.pos];
    if (b === undefined) {
      throw new WasmInspectError('WASM_TRUNCATED', `input ends at offset ${this.offset} while reading ${what}: the module is truncated`);
    }
    this.pos += 1;
    return b;
  }

  peek(): number | undefined {
    return this.bytes[this.pos];
  }

  /** Unsigned LEB128 up to 32 bits (at most 5 bytes; padded encodings such as Go's are fine). */
  u32(what: string): number {
    const start = this.offset;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte(what);
      if (i === 4 && (b & 0xf0) !== 0) {
        throw new WasmInspectError('WASM_LEB128_OVERFLOW', `${what} at offset ${start} does not fit in 32 bits (LEB128 overflow)`);
      }
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return result;
    }
    // unreachable: the fifth byte either ends the number or failed the check above
    throw new WasmInspectError('WASM_LEB128_OVERFLOW', `${what} at offset ${start} is longer than 5 bytes (LEB128 overflow)`);
  }

  /** Skips a LEB128 number of at most `maxBytes` bytes (u64: 10, s33: 5). */
  skipLeb(what: string, maxBytes: number): void {
    const start = this.offset;
    for (let i = 0; i < maxBytes; i++) {
      if ((this.byte(what) & 0x80) === 0) return;
    }
    throw new WasmInspectError('WASM_LEB128_OVERFLOW', `${what} at offset ${start} is longer than ${maxBytes} bytes (LEB128 overflow)`);
  }

  /** `len` bytes as a view; fails when they run past the end. */
  take(len: number, what: string): Uint8Array {
    if (len > this.remaining) {
      throw new WasmInspectError(
        'WASM_SECTION_PAST_END',
        `${what} at offset ${this.offset} claims ${len} bytes but only ${this.remaining} remain: the size runs past the end`,
      );
    }
    const view = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    return view;
  }

  /** A reader over the next `len` bytes. */
  sub(len: number, what: string): ByteReader {
    const base = this.offset;
    return new ByteReader(this.take(len, what), base);
  }

  /** A length-prefixed UTF-8 name. */
  name(what: string): string {
    const len = this.u32(`${what} length`);
    const at = this.offset;
    const raw = this.take(len, what);
    try {
      return utf8.decode(raw);
    } catch (cause) {
      throw new WasmInspectError('WASM_BAD_NAME', `${what} at offset ${at} is not valid UTF-8`, { cause });
    }
  }

  /** Asserts that a section's contents were consumed exactly. */
  expectEnd(what: string): void {
    if (!this.done) {
      throw new WasmInspectError(
        'WASM_SECTION_SIZE_MISMATCH',
        `${what} has ${this.remaining} unread bytes at offset ${this.offset}: its declared size does not match its contents`,
      );
    }
  }
}
