/**
 * The config's TypeScript types and its schema cannot drift (issue 18 item 4). validate.ts assigns the schema's
 * derived type (ConfigDocument, json-schema-to-ts FromSchema) to WasmgateConfig without a cast: a schema change the
 * types do not follow fails `tsc`. The checks below are type-level too (`tsc -p tsconfig.json` covers test/): the
 * other direction (no key in the types that the schema lacks), and that a mismatch is caught at all.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.ts';
import { validateConfig, type ConfigDocument } from '../../../src/config/validate.ts';
import type { WasmgateConfig } from '../../../src/config/types.ts';

type Section = Exclude<keyof WasmgateConfig, 'services'>;
/** keys the schema names only to refuse them (`not: {}` with the fix): never in a validated config */
type RefusedKey = 'default_authorization_decision';
/** keys present on one side and not the other, per top-level section (never when they agree) */
type KeyDrift<K extends Section> = Exclude<keyof WasmgateConfig[K], keyof NonNullable<ConfigDocument[K]>>;

describe('config types derived from the schema', () => {
  it('has the same top-level keys in the types and the schema', () => {
    expectTypeOf<keyof WasmgateConfig>().toEqualTypeOf<Exclude<keyof ConfigDocument, RefusedKey>>();
    const refused: RefusedKey[] = ['default_authorization_decision'];
    const admitted = Object.entries(configSchema.properties).filter(([, s]) => !('not' in s)).map(([k]) => k);
    expect(admitted.sort()).toEqual(Object.keys(validateConfig({})).sort());
    expect(Object.keys(configSchema.properties).filter((k) => !admitted.includes(k))).toEqual(refused);
  });

  it('declares no key in a section the schema does not have', () => {
    expectTypeOf<KeyDrift<'decision_logs'>>().toEqualTypeOf<never>();
    expectTypeOf<KeyDrift<'status'>>().toEqualTypeOf<never>();
    expectTypeOf<KeyDrift<'server'>>().toEqualTypeOf<never>();
    expectTypeOf<KeyDrift<'registries'>>().toEqualTypeOf<never>();
    expectTypeOf<KeyDrift<'vulnerability_db'>>().toEqualTypeOf<never>();
    expectTypeOf<KeyDrift<'decision'>>().toEqualTypeOf<never>();
    expectTypeOf<KeyDrift<'listeners'>>().toEqualTypeOf<never>();
    expectTypeOf<KeyDrift<'integrations'>>().toEqualTypeOf<never>();
    expectTypeOf<KeyDrift<'ui'>>().toEqualTypeOf<never>();
    expectTypeOf<KeyDrift<'cache'>>().toEqualTypeOf<never>();
    expect(validateConfig({}).decision.paths.length).toBeGreaterThan(0);
  });

  it('fails the type check when the schema and the types disagree', () => {
    const drifted = {
      ...configSchema,
      properties: { ...configSchema.properties, default_decision: { type: 'integer', default: 0 } },
    } as const;
    const assign = (doc: FromSchema<typeof drifted>): Omit<WasmgateConfig, 'services'> =>
      // @ts-expect-error default_decision is a number in the drifted schema, a string in WasmgateConfig
      doc;
    expect(assign).toBeTypeOf('function');
  });
});
