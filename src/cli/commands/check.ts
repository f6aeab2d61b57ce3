import type { Command } from 'commander';
import { WasmgateError } from '../../common/error.ts';

// PLACEHOLDER: replaced by the issue that owns `wasmgate check`.
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('(not yet available)')
    .allowUnknownOption()
    .action(() => {
      throw new WasmgateError('NOT_IMPLEMENTED', 'wasmgate check is not implemented yet');
    });
}
