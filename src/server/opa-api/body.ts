import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { Lexer, parse as parseYaml } from 'yaml';
import { ApiError } from './errors.ts';

export interface BodyLimits {
  /** bytes on the wire */
  maxLength: number;
  /** bytes after gunzip */
  gzipMaxLength: number;
  /** deepest nesting of arrays and objects */
  maxDepth: number;
}

const tooLarge = (limit: number, what = 'request body', key = 'server.decoding.max_length'): ApiError =>
  new ApiError(413, 'invalid_parameter', `${what} too large: the limit is ${limit} bytes (${key}); send a smaller input`, { headers: { connection: 'close' } });

/** How far over `max_length` a declared body is still drained before the 413 (beyond: refused at once). */
const DRAIN_FACTOR = 8;

/** Reads the request body, bounded before reading and while reading; gunzips `Content-Encoding: gzip`. */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxLength) {
    // A body somewhat over the limit is read and discarded before the 413, so that a client still sending it
    // gets the answer instead of a broken pipe; a much larger one is refused at once (and the connection closed).
    if (Number(declared) > DRAIN_FACTOR * limits.maxLength) {
      req.resume();
      return Promise.reject(tooLarge(limits.maxLength));
    }
    return new Promise<Buffer>((_resolve, reject) => {
      const refuse = (): void => reject(tooLarge(limits.maxLength));
      req.on('end', refuse);
      req.on('close', refuse);
      req.on('error', refuse);
      req.resume();
    });
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limits.maxLength) {
        failed = true;
        reject(tooLarge(limits.maxLength));
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    req.on('close', () => {
      // a client that disconnects mid-body: settle the promise so nothing waits forever
      if (!ended && !failed) {
        failed = true;
        reject(new ApiError(400, 'invalid_parameter', 'the client closed the connection before the request body was complete'));
      }
    });
    req.on('end', () => {
      ended = true;
      if (failed) return;
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      const encoding = req.headers['content-encoding'];
      if (encoding === undefined || encoding === 'identity') return resolve(raw);
      if (encoding !== 'gzip') return reject(new ApiError(400, 'invalid_parameter', `unsupported Content-Encoding ${encoding}: send gzip or no encoding`));
      gunzip(raw, { maxOutputLength: limits.gzipMaxLength }, (err, out) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          reject(code === 'ERR_BUFFER_TOO_LARGE' ? tooLarge(limits.gzipMaxLength, 'gzip payload', 'server.decoding.gzip.max_length') : new ApiError(400, 'invalid_parameter', `could not decompress the gzip body: ${err.message}`));
        } else {
          resolve(out);
        }
      });
    });
    req.on('error', (err) => {
      if (!failed) reject(new ApiError(400, 'invalid_parameter', `could not read the request body: ${err.message}`));
    });
  });
}

/**
 * Depth of the deepest array/object nesting in JSON text, stopping early once
 * past `limit` (a linear scan that skips strings; it runs before JSON.parse so
 * a hostile document never reaches the parser).
 */
export function jsonDepthExceeds(text: Buffer | string, limit: number): boolean {
  const b = typeof text === 'string' ? Buffer.from(text) : text;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

function valueDepthExceeds(v: unknown, limit: number, depth = 0): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (depth + 1 > limit) return true;
  for (const x of Array.isArray(v) ? v : Object.values(v)) if (valueDepthExceeds(x, limit, depth + 1)) return true;
  return false;
}

/**
 * An upper bound of the nesting depth of YAML text, from the lexer's tokens (a lazy,
 * linear scan that stops once past `limit`): flow collections (`[`, `{`) count one
 * level each; block collections one level per open indentation column, a `-`/`?`
 * indicator opening a deeper column (`- - - x` nests). The parser builds its tree recursively and
 * takes seconds on a deep document, so this runs before it.
 */
export function yamlDepthExceeds(text: string, limit: number): boolean {
  let flow = 0;
  // columns of the open block nodes: each line's indentation, and the column after each `-`/`?` indicator
  const open: number[] = [];
  let lineStart = true;
  let col = 0;
  for (const tok of new Lexer().lex(text)) {
    if (tok === '\n' || tok === '\r\n') {
      lineStart = true;
      col = 0;
      continue;
    }
    // the lexer's own markers (document, scalar, flow end…) are not source text
    if (tok.length === 1 && tok.charCodeAt(0) < 0x20 && tok !== '\t') continue;
    if (lineStart && /^[ \t]+$/.test(tok)) {
      col += tok.length;
      continue;
    }
    if (lineStart) {
      lineStart = false;
      if (flow === 0) {
        while (open.length > 0 && open[open.length - 1]! >= col) open.pop();
        open.push(col);
      }
    }
    if (tok === '[' || tok === '{') flow++;
    else if (tok === ']' || tok === '}') flow = Math.max(0, flow - 1);
    else if ((tok === '-' || tok === '?') && flow === 0) open.push(col + 1);
    col += tok.length;
    if (flow + open.length > limit) return true;
  }
  return false;
}

/**
 * Parses a request document: JSON, or YAML when the content type says so.
 * `what` prefixes OPA's message ("body contains malformed input document", …).
 */
export function parseDocument(raw: Buffer | string, limits: Pick<BodyLimits, 'maxDepth'>, what: string, contentType?: string): unknown {
  if (contentType !== undefined && contentType.includes('yaml')) {
    const text = raw.toString();
    if (yamlDepthExceeds(text, limits.maxDepth)) throw depthError(limits.maxDepth);
    let v: unknown;
    try {
      v = parseYaml(text, { maxAliasCount: 100 });
    } catch (err) {
      throw new ApiError(400, 'invalid_parameter', `${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    if (valueDepthExceeds(v, limits.maxDepth)) throw depthError(limits.maxDepth);
    return v;
  }
  if (jsonDepthExceeds(raw, limits.maxDepth)) throw depthError(limits.maxDepth);
  try {
    return JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'invalid_parameter', `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const depthError = (limit: number): ApiError =>
  new ApiError(400, 'invalid_parameter', `input document nested too deeply: the limit is ${limit} levels (server.decoding.max_depth); flatten the input`);
