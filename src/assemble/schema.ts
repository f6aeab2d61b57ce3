/**
 * JSON Schema of the input document (version 1). Every assembled document is
 * checked against it before evaluation, so a bug upstream can never hand the
 * policy a shape it does not expect (fail closed: a schema error is a deny).
 */
const errorEntry = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;

const evidence = {
  type: 'object',
  required: ['verified', 'errors', 'format', 'manifest_digest', 'subject_matches', 'certificate', 'key', 'tlog'],
  properties: {
    verified: { type: 'boolean' },
    errors: { type: 'array', items: errorEntry },
    format: { enum: ['cosign-legacy', 'sigstore-bundle'] },
    manifest_digest: { type: 'string', pattern: '^sha256:[a-f0-9]{64}$' },
    predicate_type: { type: 'string' },
    subject_matches: { type: 'boolean' },
    certificate: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['subject', 'issuer', 'extensions'],
          properties: {
            subject: { type: 'string' },
            issuer: { type: 'string' },
            extensions: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      ],
    },
    key: { anyOf: [{ type: 'null' }, { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }] },
    verified_for: { type: 'array', items: { enum: ['sbom', 'provenance', 'signature'] }, uniqueItems: true },
    tlog: { anyOf: [{ type: 'null' }, { type: 'object', required: ['log_index', 'integrated_time'] }] },
  },
} as const;

const evidenceList = { type: 'array', items: evidence } as const;

export const inputV1Schema = {
  $id: 'https://wasmgate.dev/schemas/input-v1.json',
  type: 'object',
  required: ['module', 'signatures', 'sbom_attestations', 'provenance_attestations', 'other_attestations', 'vulnerability_scan', 'request'],
  properties: {
    module: {
      type: 'object',
      required: ['ref', 'repository', 'digest', 'layers', 'wasm'],
      properties: {
        ref: { type: 'string', minLength: 1 },
        repository: { type: 'string' },
        digest: { type: 'string', pattern: '^sha256:[a-f0-9]{64}$' },
        layers: {
          type: 'array',
          items: {
            type: 'object',
            required: ['digest', 'media_type', 'size'],
            properties: { digest: { type: 'string' }, media_type: { type: 'string' }, size: { type: 'integer', minimum: 0 } },
          },
        },
        wasm: {
          anyOf: [
            { type: 'null' },
            {
              type: 'object',
              required: ['kind', 'imports', 'exports', 'producers', 'embedded_dependencies'],
              properties: {
                kind: { enum: ['module', 'component'] },
                imports: { type: 'array', items: { type: 'string' } },
                exports: { type: 'array', items: { type: 'string' } },
                embedded_dependencies: {
                  anyOf: [
                    { type: 'null' },
                    {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['name', 'version', 'source'],
                        properties: { name: { type: 'string' }, version: { type: 'string' }, source: { type: 'string' } },
                      },
                    },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    signatures: evidenceList,
    sbom_attestations: evidenceList,
    provenance_attestations: evidenceList,
    other_attestations: evidenceList,
    vulnerability_scan: {
      type: 'object',
      required: ['source', 'database', 'matches'],
      properties: {
        source: { enum: ['osv', 'grype', 'trivy', 'attestation', 'none'] },
        database: { type: 'object', required: ['name', 'built', 'records'] },
        matches: {
          type: 'array',
          items: {
            type: 'object',
            required: ['vulnerability', 'artifact'],
            properties: {
              vulnerability: {
                type: 'object',
                required: ['id', 'aliases', 'severity', 'fixed_in', 'informational'],
                properties: {
                  id: { type: 'string' },
                  aliases: { type: 'array', items: { type: 'string' } },
                  severity: { enum: ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] },
                  fixed_in: { type: 'array', items: { type: 'string' } },
                  informational: { type: ['string', 'null'] },
                },
              },
              artifact: {
                type: 'object',
                required: ['name', 'version', 'purl'],
                properties: { name: { type: 'string' }, version: { type: 'string' }, purl: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    request: { type: 'object', required: ['time'], properties: { time: { type: 'string', format: 'date-time' } } },
    errors: { type: 'array', items: errorEntry },
  },
} as const;
