import type { Command } from 'commander';
import { CliError } from '../error.ts';
import { denyCauses } from '../../decide/causes.ts';
import type { Decision } from '../../decide/types.ts';
import { EXIT_ALLOW, EXIT_DENY, EXIT_UNDECIDED } from '../exit-codes.ts';
import { createLocalDecider } from '../runtime.ts';
import { writeFile } from 'node:fs/promises';
import { standaloneReport, toRecord } from '../../ui/index.ts';

export interface CheckOptions {
  config?: string;
  json?: boolean;
  deadline?: string;
  path?: string;
  html?: string;
}

/**
 * `wasmgate check <ref>`: one decision without a server, through the same
 * pipeline and policy as `serve`. Exit 0 allow, 1 deny, 2 could not decide
 * (the decision failed closed with a reason, or the command itself failed).
 * Under each deny reason it prints the causes found in the input document
 * (advisories, rejected evidence with its error code and signer).
 */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Decide once whether a module may load: exit 0 allow, 1 deny, 2 could not decide')
    .argument('<ref>', 'module reference: registry/repo:tag, registry/repo@sha256:…, oci:<dir>:<tag>, oci:<dir>@sha256:…')
    .option('-c, --config <file>', 'YAML config file (default: the embedded default config)')
    .option('--json', 'print the OPA-shaped answer {"result":{allow,deny,digest},"decision_id"}')
    .option('--deadline <ms>', 'time budget for the decision (default: decision.deadline_ms)')
    .option('--path <path>', 'policy path to ask (default: the first decision path, wasm/sbom)')
    .option('--html <file>', 'also write the decision explorer\'s view of this decision as one self-contained HTML file')
    .action(async (ref: string, opts: CheckOptions) => {
      process.exitCode = await check(ref, opts, (s) => process.stdout.write(s));
    });
}

export async function check(ref: string, opts: CheckOptions, write: (s: string) => void): Promise<number> {
  let deadlineMs: number | undefined;
  if (opts.deadline !== undefined) {
    deadlineMs = Number(opts.deadline);
    if (!Number.isInteger(deadlineMs) || deadlineMs <= 0) {
      throw new CliError('INVALID_ARGUMENT', `--deadline must be a positive whole number of milliseconds, got "${opts.deadline}"`);
    }
  }
  const local = await createLocalDecider(opts.config);
  let decision: Decision;
  const t0 = performance.now();
  try {
    decision = await local.decider.decide({
      ref,
      request: { runtime: 'wasmgate-check' },
      ...(opts.path !== undefined ? { path: opts.path } : {}),
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    });
  } finally {
    await local.close();
  }
  if (opts.html !== undefined) {
    const record = toRecord({ ref, ...(opts.path !== undefined ? { path: opts.path } : {}) }, decision, performance.now() - t0, new Date(), local.config.decision.paths[0] ?? 'wasm/sbom');
    await writeFile(opts.html, standaloneReport(record));
  }
  const undecided = decision.errors.length > 0;
  if (opts.json) {
    write(`${JSON.stringify({ result: { allow: decision.allow, deny: decision.deny, digest: decision.digest }, decision_id: decision.decision_id }, null, 2)}\n`);
  } else {
    const subject = decision.digest ? `${ref} (${decision.digest})` : ref;
    write(`${decision.allow ? 'ALLOW' : undecided ? 'UNDECIDED (deny)' : 'DENY'}  ${subject}\n`);
    for (const d of decision.deny) {
      write(`  - ${d}\n`);
      for (const cause of denyCauses(d, decision.input)) write(`      ${cause}\n`);
    }
    if (decision.revision) write(`  policy revision ${decision.revision}, decision ${decision.decision_id}\n`);
  }
  if (decision.allow) return EXIT_ALLOW;
  return undecided ? EXIT_UNDECIDED : EXIT_DENY;
}
