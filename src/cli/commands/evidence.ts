import type { Command } from 'commander';
import { WasmgateError } from '../../common/error.ts';

// PLACEHOLDER: replaced by the issue that owns `wasmgate evidence`.
export function registerEvidence(program: Command): void {
  program
    .command('evidence')
    .description('(not yet available)')
    .allowUnknownOption()
    .action(() => {
      throw new WasmgateError('NOT_IMPLEMENTED', 'wasmgate evidence is not implemented yet');
    });
}
