import type { Command } from 'commander';
import { WasmgateError } from '../../common/error.ts';

// PLACEHOLDER: replaced by the issue that owns `wasmgate inspect`.
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('(not yet available)')
    .allowUnknownOption()
    .action(() => {
      throw new WasmgateError('NOT_IMPLEMENTED', 'wasmgate inspect is not implemented yet');
    });
}
