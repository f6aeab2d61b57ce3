import type { Command } from 'commander';
import { buildBundle } from './bundle-build.ts';

/**
 * `wasmgate bundle <sub>`: one subcommand per register function below. `sign` and
 * `inspect` are added the same way (a registerBundleX(bundle) next to build).
 */
export function registerBundle(program: Command): void {
  const bundle = program.command('bundle').description('Build, sign and inspect policy bundles');
  registerBundleBuild(bundle);
}

function registerBundleBuild(bundle: Command): void {
  bundle
    .command('build')
    .description('Compile policies/ into the wasm bundle (opa build -t wasm -b) with the shipped entrypoints and capabilities')
    .option('--out <file>', 'output bundle (default: bundles/wasm-sbom.tar.gz)')
    .option('--policies <dir>', 'policy sources (default: policies/)')
    .option('--capabilities <file>', 'capabilities file (default: <policies>/capabilities.json)')
    .option('--revision <rev>', 'manifest revision (default: a hash of the sources)')
    .option('--opa <path>', 'opa binary (default: opa on PATH)')
    .option('-e, --entrypoint <path...>', 'entrypoints (default: wasm/sbom wasm/sbom/allow wasm/sbom/deny)')
    .action(async (opts: { out?: string; policies?: string; capabilities?: string; revision?: string; opa?: string; entrypoint?: string[] }) => {
      const result = await buildBundle({
        ...(opts.out !== undefined && { out: opts.out }),
        ...(opts.policies !== undefined && { policiesDir: opts.policies }),
        ...(opts.capabilities !== undefined && { capabilities: opts.capabilities }),
        ...(opts.revision !== undefined && { revision: opts.revision }),
        ...(opts.opa !== undefined && { opa: opts.opa }),
        ...(opts.entrypoint !== undefined && { entrypoints: opts.entrypoint }),
      });
      process.stdout.write(`wrote ${result.out} (revision ${result.revision}; entrypoints ${result.entrypoints.join(', ')})\n`);
    });
}
