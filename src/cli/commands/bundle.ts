import type { Command } from 'commander';
import { buildBundle } from './bundle-build.ts';
import { formatInspection, inspectBundleCommand } from './bundle-inspect.ts';
import { signBundleCommand } from './bundle-sign.ts';

/** `wasmgate bundle build|sign|inspect`. */
export function registerBundle(program: Command): void {
  const bundle = program.command('bundle').description('Build, sign and inspect policy bundles');
  registerBundleBuild(bundle);
  registerBundleSign(bundle);
  registerBundleInspect(bundle);
}

function registerBundleBuild(bundle: Command): void {
  bundle
    .command('build')
    .description('Compile policies/ into the wasm bundle (opa build -t wasm -b) with the shipped entrypoints, capabilities and self-tests, then run the self-tests on it (a failing case fails the build)')
    .option('--out <file>', 'output bundle (default: the shipped bundles/wasm-sbom.tar.gz, only with --force)')
    .option('--force', 'overwrite the shipped bundles/wasm-sbom.tar.gz (when --out is not given)')
    .option('--policies <dir>', 'policy sources (default: policies/)')
    .option('--capabilities <file>', 'capabilities file (default: <policies>/capabilities.json)')
    .option('--selftests <dir>', 'self-test cases copied to tests/ in the bundle (default: <policies>/selftest/ when it exists)')
    .option('--revision <rev>', 'manifest revision (default: a hash of the sources)')
    .option('--opa <path>', 'opa binary (default: opa on PATH)')
    .option('-e, --entrypoint <path...>', 'entrypoints (default: wasm/sbom wasm/sbom/allow wasm/sbom/deny)')
    .action(async (opts: { out?: string; force?: boolean; policies?: string; capabilities?: string; selftests?: string; revision?: string; opa?: string; entrypoint?: string[] }) => {
      const result = await buildBundle({
        ...(opts.out !== undefined && { out: opts.out }),
        ...(opts.force === true && { force: true }),
        ...(opts.policies !== undefined && { policiesDir: opts.policies }),
        ...(opts.capabilities !== undefined && { capabilities: opts.capabilities }),
        ...(opts.selftests !== undefined && { selftestDir: opts.selftests }),
        ...(opts.revision !== undefined && { revision: opts.revision }),
        ...(opts.opa !== undefined && { opa: opts.opa }),
        ...(opts.entrypoint !== undefined && { entrypoints: opts.entrypoint }),
      });
      const tests = result.selftests > 0 ? `; ${result.selftests} self-test file(s), ${result.cases} case(s) passed` : '; no self-tests';
      process.stdout.write(`wrote ${result.out} (revision ${result.revision}; entrypoints ${result.entrypoints.join(', ')}${tests})\n`);
    });
}

function registerBundleSign(bundle: Command): void {
  bundle
    .command('sign')
    .description('Sign a bundle (directory or .tar.gz) with an OPA-compatible .signatures.json')
    .argument('<bundle>', 'bundle directory or .tar.gz')
    .requiredOption('--signing-key <key>', 'PEM private key file (RS*, PS*, ES*) or the HMAC secret (HS*)')
    .option('--signing-alg <alg>', 'signing algorithm', 'RS256')
    .option('--signing-key-id <id>', 'key id written to the JWT header (kid)')
    .option('--claims-file <file>', 'JSON object of extra JWT claims')
    .option('--scope <scope>', 'scope claim (must match the verifier\'s configured scope)')
    .option('-o, --output <path>', 'directory bundle: directory for .signatures.json (default: the bundle); .tar.gz: signed output file (default: in place)')
    .action(async (path: string, opts: { signingKey: string; signingAlg: string; signingKeyId?: string; claimsFile?: string; scope?: string; output?: string }) => {
      const r = await signBundleCommand({
        bundle: path,
        signingKey: opts.signingKey,
        signingAlg: opts.signingAlg,
        ...(opts.signingKeyId !== undefined && { keyId: opts.signingKeyId }),
        ...(opts.claimsFile !== undefined && { claimsFile: opts.claimsFile }),
        ...(opts.scope !== undefined && { scope: opts.scope }),
        ...(opts.output !== undefined && { out: opts.output }),
      });
      process.stdout.write(`signed ${r.files} file(s) with ${opts.signingAlg}: ${r.out}\n`);
    });
}

function registerBundleInspect(bundle: Command): void {
  bundle
    .command('inspect')
    .description('Show a bundle\'s revision, roots, entrypoints, builtins, signature status and self-test result (exit 1 when a check fails)')
    .argument('<bundle>', 'bundle directory or .tar.gz')
    .option('--json', 'print JSON')
    .option('--verification-key <key>', 'PEM public key file or HMAC secret to verify the signature with')
    .option('--verification-key-id <id>', 'key id', 'default')
    .option('--signing-alg <alg>', 'algorithm of the verification key', 'RS256')
    .option('--scope <scope>', 'expected signature scope')
    .action(async (path: string, opts: { json?: boolean; verificationKey?: string; verificationKeyId: string; signingAlg: string; scope?: string }) => {
      const r = await inspectBundleCommand({
        bundle: path,
        verificationKeyId: opts.verificationKeyId,
        signingAlg: opts.signingAlg,
        ...(opts.verificationKey !== undefined && { verificationKey: opts.verificationKey }),
        ...(opts.scope !== undefined && { scope: opts.scope }),
      });
      process.stdout.write(opts.json === true ? `${JSON.stringify(r, null, 2)}\n` : formatInspection(r));
      if (!r.ok) process.exitCode = 1;
    });
}
