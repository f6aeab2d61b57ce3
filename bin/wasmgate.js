#!/usr/bin/env node
// Node.js check first: the sources are TypeScript run by Node's type stripping (22.22+/24), and
// an older Node would fail further down with ERR_UNKNOWN_FILE_EXTENSION and a stack trace.
{
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (!(major >= 24 || (major === 22 && minor >= 22))) {
    process.stderr.write(
      `wasmgate: NODE_UNSUPPORTED: wasmgate needs Node.js 24 (or 22.22+), but this is Node.js ${process.version} (${process.execPath}).\n` +
        '  In a wasmgate checkout: run scripts/bootstrap-node.sh (installs Node.js 24 into .node/), then `. scripts/env.sh`\n' +
        '  (puts it first on PATH) and run the command again; `npm start` and `npm test` do both for you.\n' +
        '  Or install Node.js 24 yourself, put it first on PATH, and set WASMGATE_USE_SYSTEM_NODE=1 so the project scripts use it.\n',
    );
    process.exit(2);
  }
}
// wasmgate CLI entry. Runs the TypeScript sources directly in a checkout (Node.js 22.18+/24 strip types
// natively), so a dist/ left over from a build never shadows them; the compiled build in an installed package,
// which ships dist/ and not the sources.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
await import(existsSync(sources) ? sources.href : new URL('../dist/src/cli/main.js', import.meta.url).href);
