import type { Command } from 'commander';
import { WasmgateError } from '../../common/error.ts';

// PLACEHOLDER: replaced by the issue that owns `wasmgate serve`.
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('(not yet available)')
    .allowUnknownOption()
    .action(() => {
      throw new WasmgateError('NOT_IMPLEMENTED', 'wasmgate serve is not implemented yet');
    });
}
