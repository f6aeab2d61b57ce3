// Writes policies/capabilities.json: `opa capabilities --current` restricted to the
// builtins the opa-wasm SDK can run (OPA's wasm-native builtins plus the SDK's JS ones),
// with the wasm ABI the compiler emits. `opa build` then rejects a policy that would
// need a builtin the engine cannot provide. Run after an OPA upgrade:
//   node scripts/gen-wasm-capabilities.ts
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NATIVE_WASM_BUILTINS, SDK_BUILTINS } from '../src/policy/engine/builtins.ts';

// Operators and compiler-internal calls the wasm planner handles without a builtin call.
const PLANNER_HANDLED = ['eq', 'assign', 'print', 'internal.print'];

const allowed = new Set<string>([...NATIVE_WASM_BUILTINS, ...SDK_BUILTINS, ...PLANNER_HANDLED]);
const current = JSON.parse(execFileSync('opa', ['capabilities', '--current'], { encoding: 'utf8' })) as {
  builtins: Array<{ name: string }>;
  [key: string]: unknown;
};
const builtins = current.builtins.filter((b) => allowed.has(b.name));
const missing = [...allowed].filter((n) => !builtins.some((b) => b.name === n));
if (missing.length > 0) process.stderr.write(`note: not in this opa's capabilities: ${missing.join(', ')}\n`);
const out = { ...current, builtins, wasm_abi_versions: [{ version: 1, minor_version: 3 }] };
const root = join(import.meta.dirname, '..');
writeFileSync(join(root, 'policies', 'capabilities.json'), `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write(`policies/capabilities.json: ${builtins.length} builtins\n`);
