import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { SbomError } from './error.ts';

// ajv-formats is CommonJS: its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** CycloneDX JSON versions wasmgate validates, and the official schema file for each (strict for 1.2/1.3, as upstream's own harness does). */
const SCHEMA_FILES: Readonly<Record<string, string>> = {
  '1.2': 'bom-1.2-strict.schema.json',
  '1.3': 'bom-1.3-strict.schema.json',
  '1.4': 'bom-1.4.schema.json',
  '1.5': 'bom-1.5.schema.json',
  '1.6': 'bom-1.6.schema.json',
};

export const CYCLONEDX_VERSIONS: readonly string[] = Object.keys(SCHEMA_FILES);

// The bom schemas refer to these by relative name; their $id is http://cyclonedx.org/schema/<file>.
const REFERENCED = ['spdx.schema.json', 'jsf-0.82.schema.json'];

const compiled = new Map<string, ValidateFunction>();

function readSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./schemas/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

// Compiles one version's schema on first use. Formats are asserted (date-time, uri, …):
// the CycloneDX test vectors need it, e.g. JSF `algorithm` is a oneOf of an enum and a uri.
function validatorFor(specVersion: string): ValidateFunction {
  const cached = compiled.get(specVersion);
  if (cached !== undefined) return cached;
  const file = SCHEMA_FILES[specVersion];
  if (file === undefined) throw new SbomError('SBOM_UNSUPPORTED', `CycloneDX specVersion ${specVersion} is not supported`);
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  // Formats the 1.5/1.6 schemas use that ajv-formats lacks: checked leniently (no whitespace; one @ for e-mail).
  ajv.addFormat('iri-reference', /^\S*$/u);
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
  ajv.addFormat('string', true); // bom-1.2/1.3 write format "string" where they mean a type
  for (const ref of REFERENCED) ajv.addSchema(readSchema(ref), ref);
  const validate = ajv.compile(readSchema(file));
  compiled.set(specVersion, validate);
  return validate;
}

function describe(err: ErrorObject): string {
  const path = err.instancePath === '' ? '/' : err.instancePath;
  const extra =
    err.keyword === 'additionalProperties'
      ? ` (${String((err.params as { additionalProperty?: unknown }).additionalProperty)})`
      : err.keyword === 'enum'
        ? ` (allowed: ${JSON.stringify((err.params as { allowedValues?: unknown }).allowedValues)})`
        : '';
  return `${path} ${err.message ?? 'is invalid'}${extra}`;
}

/**
 * Validates a CycloneDX JSON document against the official schema of its
 * `specVersion` (1.2–1.6). Throws SBOM_INVALID naming the JSON path of the first
 * problem, or SBOM_UNSUPPORTED for another spec version.
 */
export function assertValidCycloneDx(doc: unknown): void {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new SbomError('SBOM_INVALID', 'CycloneDX document must be a JSON object', { details: { path: '/' } });
  }
  const specVersion = (doc as Record<string, unknown>)['specVersion'];
  if (typeof specVersion !== 'string') {
    throw new SbomError('SBOM_INVALID', 'CycloneDX document has no string "specVersion" at /specVersion', { details: { path: '/specVersion' } });
  }
  if (SCHEMA_FILES[specVersion] === undefined) {
    throw new SbomError(
      'SBOM_UNSUPPORTED',
      `CycloneDX specVersion "${specVersion}" is not supported; use ${CYCLONEDX_VERSIONS.join(', ')}`,
      { details: { path: '/specVersion' } },
    );
  }
  const validate = validatorFor(specVersion);
  if (!validate(doc)) {
    const first = validate.errors?.[0];
    const path = first?.instancePath === undefined || first.instancePath === '' ? '/' : first.instancePath;
    throw new SbomError(
      'SBOM_INVALID',
      `CycloneDX ${specVersion} document is invalid at ${first === undefined ? '/' : describe(first)}: fix the SBOM generator's output`,
      { details: { path } },
    );
  }
}
