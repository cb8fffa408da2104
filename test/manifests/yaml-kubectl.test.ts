// YAML as kubectl reads it (issue 12): anchors, aliases and merge keys work in manifests; scalars
// keep YAML 1.2's core schema. One row per YAML rule, the expected decoded object in the row.
import { strict as assert } from 'node:assert';
import { parseManifests } from '../../src/manifests/load.js';
import { run } from '../cli/fake-io.js';

const head = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n';

describe('manifests: YAML as kubectl reads it', () => {
  const rows: { name: string; text: string; labels: Record<string, unknown> }[] = [
    {
      name: 'a merge key in a flow mapping: {<<: *common, app: b}',
      text: `${head}  annotations: &common {team: data, app: a}\n  labels: {<<: *common, app: b}\n`,
      labels: { team: 'data', app: 'b' },
    },
    {
      name: 'a merge key in a block mapping',
      text: `${head}  annotations: &common\n    team: data\n  labels:\n    <<: *common\n    tier: x\n`,
      labels: { team: 'data', tier: 'x' },
    },
    {
      name: 'keys of the mapping win over merged ones, wherever the merge key stands',
      text: `${head}  annotations: &common {app: a, team: data}\n  labels:\n    app: b\n    <<: *common\n`,
      labels: { app: 'b', team: 'data' },
    },
    {
      name: 'a list of merge sources: earlier sources win',
      text: `${head}  annotations: &a {x: "1", y: "1"}\n  finalizers: [&b {y: "2", z: "2"}]\n  labels: {<<: [*a, *b]}\n`,
      labels: { x: '1', y: '1', z: '2' },
    },
    { name: 'an alias of a whole mapping', text: `${head}  annotations: &same {app: a}\n  labels: *same\n`, labels: { app: 'a' } },
    { name: 'a quoted "<<" is an ordinary key', text: `${head}  labels: {"<<": x}\n`, labels: { '<<': 'x' } },
    // Scalars as before (YAML 1.2 core): yes/on are strings, 0o17 an octal, 1_000 a string.
    { name: 'yes, on and no stay strings (YAML 1.2)', text: `${head}  labels: {a: yes, b: on, c: no}\n`, labels: { a: 'yes', b: 'on', c: 'no' } },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const [loaded] = parseManifests(row.text, 'f.yaml');
      assert.deepEqual(loaded?.object.metadata?.labels, row.labels);
    });
  }

  it('scalars other than labels keep the YAML 1.2 core schema', () => {
    const [loaded] = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {oct: 0o17, under: 1_000, tilde: ~, t: True}\n', 'f.yaml');
    assert.deepEqual((loaded?.object as { data?: unknown }).data, { oct: 15, under: '1_000', tilde: null, t: true });
  });

  it('an alias of an undefined anchor is still bad YAML, named with file and line', () => {
    assert.throws(() => parseManifests(`${head}  labels: {<<: *nothing}\n`, 'f.yaml'), /f\.yaml:\d+: not valid YAML or JSON: unidentified alias "nothing"/);
  });

  it('check judges a Deployment whose template labels come from a merge key (was exit 2: "must be a string, not a mapping")', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-merge-'));
    try {
      const file = join(dir, 'merge.yaml');
      writeFileSync(
        file,
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: loader\n  namespace: etl-load\n  labels: &pipeline {stagewall.dev/pipeline: etl}\nspec:\n' +
          '  template:\n    metadata:\n      labels: {<<: *pipeline, stagewall.dev/stage: load}\n',
      );
      const r = await run(['check', '-c', 'examples/stagewall.yaml', '-o', 'json', 'examples/pipeline/manifests', file]);
      assert.equal(r.code, 0, r.err);
      const loader = JSON.parse(r.out).results.find((x: { name: string }) => x.name === 'loader');
      assert.equal(loader.verdict, 'allow', 'a stage pod of etl/load, covered by its stage policy');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
