import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { packagePath } from '../../common/paths.ts';
import { stableStringify } from '../../common/stable-json.ts';
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
  '1.7': 'bom-1.7.schema.json',
};

export const CYCLONEDX_VERSIONS: readonly string[] = Object.keys(SCHEMA_FILES);

// The bom schemas refer to these by relative name; their $id is http://cyclonedx.org/schema/<file>.
const REFERENCED = ['spdx.schema.json', 'jsf-0.82.schema.json', 'cryptography-defs.schema.json'];

const compiled = new Map<string, ValidateFunction>();

function readSchema(file: string): Record<string, unknown> {
  return withFastUniqueItems(JSON.parse(readFileSync(packagePath('src/analyse/sbom/schemas', file), 'utf8'))) as Record<string, unknown>;
}

/**
 * ajv checks `uniqueItems` on arrays of objects by comparing every pair (a 10,000-component SBOM took over
 * 20 s). The schemas' `uniqueItems: true` is swapped for `uniqueItemsByValue`, the same rule (no two items
 * deep-equal) checked in linear time through each item's canonical JSON.
 */
function withFastUniqueItems(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withFastUniqueItems);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'uniqueItems' && v === true) out.uniqueItemsByValue = true;
    else out[k] = withFastUniqueItems(v);
  }
  return out;
}

function uniqueByValue(items: unknown): boolean {
  if (!Array.isArray(items) || items.length < 2) return true;
  const seen = new Set<string>();
  for (const item of items) {
    const key = stableStringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
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
  // Formats the 1.5–1.7 schemas use that ajv-formats lacks: checked leniently (no whitespace; one @ for e-mail).
  ajv.addFormat('iri-reference', /^\S*$/u);
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
  ajv.addFormat('string', true); // bom-1.2/1.3 write format "string" where they mean a type
  ajv.addKeyword({ keyword: 'uniqueItemsByValue', type: 'array', schemaType: 'boolean', errors: false, validate: (_on: boolean, data: unknown) => uniqueByValue(data) });
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
  const message = err.keyword === 'uniqueItemsByValue' ? 'must not contain two equal items' : err.message ?? 'is invalid';
  return `${path} ${message}${extra}`;
}

/**
 * Validates a CycloneDX JSON document against the official schema of its
 * `specVersion` (1.2–1.7). Throws SBOM_INVALID naming the JSON path of the first
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
