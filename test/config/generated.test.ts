// The files generated from src/config/schema.ts stay equal to what it generates today.
// After a change of the schema (or of ajv), rewrite them with: node --import tsx src/config/codegen.ts
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { AJV_OPTIONS, GENERATED, validatorSource } from '../../src/config/codegen.js';
import { configSchema } from '../../src/config/schema.js';
import { validateConfigDocument } from '../../src/config/validate.generated.js';

const REGENERATE = 'regenerate with: node --import tsx src/config/codegen.ts';

describe('config: the validator compiled ahead of time', () => {
  it(`${GENERATED.validator} is ajv's standalone code of the schema today`, () => {
    assert.equal(readFileSync(GENERATED.validator, 'utf8'), validatorSource(), REGENERATE);
  });

  // The same verdicts, errors and defaults as the validator ajv compiles at run time.
  const compiled = new Ajv(AJV_OPTIONS).compile(configSchema);
  const base = { apiVersion: 'stagewall.dev/v1alpha1', kind: 'StagewallConfig' };
  const rows: { name: string; doc: unknown }[] = [
    { name: 'a minimal config, defaults filled in', doc: { ...base, pipelines: [{ name: 'etl', stages: [{ name: 'a' }] }] } },
    {
      name: 'a bad port: anyOf branches',
      doc: { ...base, pipelines: [{ name: 'etl', stages: [{ name: 'a', ports: [{ port: -1 }, 'x', { port: 'Bad_Name' }] }] }] },
    },
    {
      name: 'a name longer than 63 characters (maxLength counts code points)',
      doc: { ...base, pipelines: [{ name: 'a'.repeat(64), stages: [{ name: 'é'.repeat(10) }] }] },
    },
    { name: 'unknown fields and wrong enums', doc: { ...base, mode: 'strict', extra: 1, pipelines: [] } },
    { name: 'not a mapping', doc: ['a'] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const a = structuredClone(row.doc);
      const b = structuredClone(row.doc);
      assert.equal(validateConfigDocument(a), compiled(b));
      assert.deepEqual(validateConfigDocument.errors ?? null, compiled.errors ?? null);
      assert.deepEqual(a, b, 'the same defaults');
    });
  }
});
