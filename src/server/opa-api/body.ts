import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
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

/** Reads the request body, bounded before reading and while reading; gunzips `Content-Encoding: gzip`. */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxLength) {
    req.resume();
    return Promise.reject(tooLarge(limits.maxLength));
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
 * Parses a request document: JSON, or YAML when the content type says so.
 * `what` prefixes OPA's message ("body contains malformed input document", …).
 */
export function parseDocument(raw: Buffer | string, limits: Pick<BodyLimits, 'maxDepth'>, what: string, contentType?: string): unknown {
  if (contentType !== undefined && contentType.includes('yaml')) {
    let v: unknown;
    try {
      v = parseYaml(raw.toString(), { maxAliasCount: 100 });
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
