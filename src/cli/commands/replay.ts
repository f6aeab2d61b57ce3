import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DecideError } from '../../decide/error.ts';
import { findEvent, replayEvent } from '../../logs/replay.ts';
import { EXIT_ALLOW, EXIT_DENY } from '../exit-codes.ts';
import { createLocalDecider } from '../runtime.ts';

export interface ReplayOptions {
  config?: string;
  log?: string;
  inputOut?: string;
  json?: boolean;
}

/**
 * `wasmgate replay <decision_id|event.json>`: replays a logged decision on the
 * active bundle. Erased evidence predicates are re-fetched from the registry by
 * the attestation's manifest digest and checked against the sha256 the event
 * logged. Exit 0 same answer, 1 a different answer, 2 not replayable.
 */
export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('Replay a logged decision (an event file, or a decision_id in a JSON-lines log): exit 0 same answer, 1 different, 2 not replayable')
    .argument('<event>', 'a file holding one decision log event, or a decision_id')
    .option('-c, --config <file>', 'YAML config file (default: the embedded default config)')
    .option('--log <file>', 'JSON-lines decision log to find a decision_id in (default: decision_logs.file)')
    .option('--input-out <file>', 'write the restored input there (for opa eval -i <file>)')
    .option('--json', 'print the replay outcome as JSON')
    .action(async (arg: string, opts: ReplayOptions) => {
      process.exitCode = await replay(arg, opts, (s) => process.stdout.write(s));
    });
}

export async function replay(arg: string, opts: ReplayOptions, write: (s: string) => void): Promise<number> {
  // the re-fetch is no decision of its own: not logged
  const local = await createLocalDecider(opts.config, undefined, { decisionLogs: false });
  try {
    const event = await findEvent(arg, opts.log ?? local.config.decision_logs.file);
    const bundle = local.bundles.active();
    if (bundle === null) throw new DecideError('NO_TRUSTED_POLICY', 'no policy bundle is active: replay needs the bundle that decided (see bundles: in the config)');
    const out = await replayEvent(event, local.decider, bundle, local.config.decision.paths);
    if (opts.inputOut !== undefined) await writeFile(opts.inputOut, `${JSON.stringify(out.input, null, 2)}\n`);
    if (opts.json) {
      write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      const show = (r: { defined: boolean; result?: unknown }): string => (r.defined ? JSON.stringify(r.result) : 'undefined');
      write(`${out.same ? 'SAME' : 'DIFFERENT'}  decision ${out.decision_id} at ${out.path || '(root)'}\n`);
      write(`  logged    ${show(out.logged)}\n  replayed  ${show(out.replayed)}\n`);
      if (out.restored.length > 0) write(`  re-fetched ${out.restored.join(', ')} (sha256 checked)\n`);
      if (out.revision_differs) write(`  note: logged by bundle revision ${out.revision_differs.logged}, replayed on ${out.revision_differs.active}\n`);
    }
    return out.same ? EXIT_ALLOW : EXIT_DENY;
  } finally {
    await local.close();
  }
}
