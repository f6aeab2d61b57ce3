import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cycloneDx, lockPackages } from '../engine-input.ts';

/** An 80-component (by default) CycloneDX SBOM from a real Cargo.lock, written to `dir`. */
export async function writeSbomPredicate(dir: string, components = 80): Promise<string> {
  const path = join(dir, `sbom-${components}.cdx.json`);
  await writeFile(path, JSON.stringify(cycloneDx(lockPackages(components))));
  return path;
}

/** A SLSA v1 provenance predicate (what slsa-github-generator writes), written to `dir`. */
export async function writeProvenancePredicate(dir: string): Promise<string> {
  const path = join(dir, 'provenance.json');
  await writeFile(
    path,
    JSON.stringify({
      buildDefinition: {
        buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
        externalParameters: { workflow: { ref: 'refs/heads/main', repository: 'https://github.com/myorg/payments-wasm', path: '.github/workflows/build-wasm.yml' } },
        resolvedDependencies: [{ uri: 'git+https://github.com/myorg/payments-wasm@refs/heads/main', digest: { gitCommit: '0123456789abcdef0123456789abcdef01234567' } }],
      },
      runDetails: {
        builder: { id: 'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0' },
        metadata: { invocationId: 'https://github.com/myorg/payments-wasm/actions/runs/1/attempts/1' },
      },
    }),
  );
  return path;
}
