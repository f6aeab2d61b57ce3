import { Command, CommanderError } from 'commander';
import { WasmgateError, messageOf } from '../common/error.ts';
import { VERSION } from '../common/version.ts';
import { EXIT_UNDECIDED } from './exit-codes.ts';
import { registerBundle } from './commands/bundle.ts';
import { registerCheck } from './commands/check.ts';
import { registerEvidence } from './commands/evidence.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerReplay } from './commands/replay.ts';
import { registerScan } from './commands/scan.ts';
import { registerServe } from './commands/serve.ts';

export function createProgram(): Command {
  const program = new Command('wasmgate')
    .description('Checks a WebAssembly module\'s signatures, SBOM, provenance and vulnerabilities before it loads.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerCheck(program);
  registerEvidence(program);
  registerScan(program);
  registerInspect(program);
  registerBundle(program);
  registerReplay(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_UNDECIDED;
    const code = WasmgateError.isWasmgateError(err) ? `${err.code}: ` : '';
    process.stderr.write(`wasmgate: ${code}${messageOf(err)}\n`);
    return EXIT_UNDECIDED;
  }
}

process.exitCode = await main(process.argv);
