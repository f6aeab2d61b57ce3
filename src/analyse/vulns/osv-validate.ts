import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { packagePath } from '../../common/paths.ts';

// ajv-formats is CommonJS: its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let validator: ValidateFunction | undefined;

// Compiles the official OSV schema (ossf/osv-schema validation/schema.json) once, on first use.
function getValidator(): ValidateFunction {
  if (validator === undefined) {
    const schema = JSON.parse(readFileSync(packagePath('src/analyse/vulns/schemas/osv.schema.json'), 'utf8')) as object;
    const ajv = new Ajv2020({ strict: false, allErrors: false });
    addFormats(ajv);
    validator = ajv.compile(schema);
  }
  return validator;
}

/** Checks one record against the OSV schema; returns null when valid, else `path: message`. */
export function osvRecordProblem(value: unknown): string | null {
  const validate = getValidator();
  if (validate(value)) return null;
  const first = validate.errors?.[0];
  if (first === undefined) return 'invalid OSV record';
  return `${first.instancePath === '' ? '/' : first.instancePath}: ${first.message ?? 'invalid'}`;
}
