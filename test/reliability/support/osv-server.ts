import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { unzipSync, zipSync } from 'fflate';

/**
 * A loopback HTTP server serving OSV export zips for VulnDatabase refreshes: each GET answers
 * the next variant (with its own ETag) in turn, 304 when the client already has it.
 */
export interface OsvServer {
  url: string;
  /** how many 200 answers (downloads) were served */
  readonly downloads: number;
  stop(): Promise<void>;
}

/** Variants of a real OSV export: the whole export, then copies with one record left out each. */
export function osvVariants(zipPath: string, count: number): Uint8Array[] {
  const files = unzipSync(readFileSync(zipPath));
  const names = Object.keys(files).sort();
  const out: Uint8Array[] = [readFileSync(zipPath)];
  for (let i = 1; i < count; i++) {
    const without = names[(i * 97) % names.length]!;
    out.push(zipSync(Object.fromEntries(names.filter((n) => n !== without).map((n) => [n, files[n]!]))));
  }
  return out;
}

export async function startOsvServer(variants: readonly Uint8Array[]): Promise<OsvServer> {
  let next = 0;
  let downloads = 0;
  const server = http.createServer((req, res) => {
    const i = next++ % variants.length;
    const etag = `"variant-${i}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    downloads++;
    const body = variants[i]!;
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(body.byteLength), etag });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/crates.io/all.zip`,
    get downloads() {
      return downloads;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
