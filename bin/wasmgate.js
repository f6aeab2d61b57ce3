#!/usr/bin/env node
// wasmgate CLI entry. Runs the compiled build when present (an installed package),
// else the TypeScript sources directly (Node.js 22.18+/24 strip types natively).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
await import(existsSync(compiled) ? compiled.href : new URL('../src/cli/main.ts', import.meta.url).href);
