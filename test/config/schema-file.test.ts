// `stagewall schema` prints the config's JSON Schema, and the committed stagewall.schema.json equals
// it (issue 12). After a schema change: node --import tsx src/config/codegen.ts
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { run } from '../cli/fake-io.js';

describe('config: the JSON Schema for editors (stagewall schema, stagewall.schema.json)', () => {
  const committed = readFileSync('stagewall.schema.json', 'utf8');

  it('stagewall schema prints exactly the committed stagewall.schema.json', async () => {
    const r = await run(['schema']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, committed, 'regenerate with: node --import tsx src/config/codegen.ts');
  });

  it('is a draft-07 schema with a title, that a plain ajv compiles', () => {
    const schema = JSON.parse(committed) as Record<string, unknown>;
    assert.equal(schema['$schema'], 'http://json-schema.org/draft-07/schema#');
    assert.equal(schema['title'], 'StagewallConfig');
    assert.doesNotThrow(() => new Ajv({ strict: true, allowUnionTypes: true }).compile(schema));
  });

  // An editor validating with the file must agree with stagewall itself on what is valid.
  const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(JSON.parse(committed) as object);
  const rows: { name: string; file?: string; text?: string; valid: boolean }[] = [
    { name: 'examples/stagewall.yaml', file: 'examples/stagewall.yaml', valid: true },
    { name: 'manifests/stagewall.yaml (the cluster config)', file: 'manifests/stagewall.yaml', valid: true },
    { name: 'test/golden/rich.stagewall.yaml', file: 'test/golden/rich.stagewall.yaml', valid: true },
    { name: 'an unknown field', text: 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\npipelines: []\nmodes: audit\n', valid: false },
    {
      name: 'a port out of range',
      text: 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\npipelines: [{name: a, stages: [{name: b, ports: [70000]}]}]\n',
      valid: false,
    },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.valid ? 'valid' : 'invalid'}`, () => {
      const doc = load(row.file ? readFileSync(row.file, 'utf8') : (row.text ?? ''));
      assert.equal(validate(doc), row.valid, JSON.stringify(validate.errors));
    });
  }

  it('examples/stagewall.yaml names the schema for yaml-language-server, by a path that exists', () => {
    const first = readFileSync('examples/stagewall.yaml', 'utf8').split('\n')[0];
    assert.equal(first, '# yaml-language-server: $schema=../stagewall.schema.json');
  });

  it('the README shows the yaml-language-server line', () => {
    assert.match(readFileSync('README.md', 'utf8'), /^# yaml-language-server: \$schema=\S+stagewall\.schema\.json$/m);
  });
});
