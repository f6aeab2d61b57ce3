import type { Command } from 'commander';
import { WasmgateError } from '../../common/error.ts';

// PLACEHOLDER: replaced by the issue that owns `wasmgate bundle`.
export function registerBundle(program: Command): void {
  program
    .command('bundle')
    .description('(not yet available)')
    .allowUnknownOption()
    .action(() => {
      throw new WasmgateError('NOT_IMPLEMENTED', 'wasmgate bundle is not implemented yet');
    });
}
