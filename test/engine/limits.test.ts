import { strict as assert } from 'node:assert';
import { load, CORE_SCHEMA } from 'js-yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { evaluate, type EngineContext } from '../../src/engine/evaluate.js';
import { checkStructure, formatPath, MAX_DEPTH, MAX_ITEMS } from '../../src/engine/limits.js';
import { mutations } from '../../src/engine/mutate.js';
import type { KubeObject } from '../../src/engine/types.js';
import { ErrorCodes, StagewallError } from '../../src/errors.js';
import { parseManifests } from '../../src/manifests/load.js';
import { deepPeerField, manyExcepts, manyRequirements, manyRules, nested, smallPod, smallPolicy } from '../../bench/hostile-shapes.js';
import { examplesView } from '../helpers/view.js';

/** `depth` levels in all, the object itself being level 1: {a: {a: … {}}}. */
const levels = (depth: number) => nested(depth - 1);

function refusal(fn: () => void): StagewallError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StagewallError) return err;
    throw err;
  }
  assert.fail('expected a StagewallError');
}

describe('engine/limits: checkStructure', () => {
  const accepted: { name: string; value: unknown }[] = [
    { name: 'a scalar', value: 'text' },
    { name: 'null', value: null },
    { name: 'an empty mapping', value: {} },
    { name: 'a real Pod', value: smallPod() },
    { name: 'a real NetworkPolicy', value: smallPolicy() },
    { name: `exactly ${MAX_DEPTH} levels (the limit itself)`, value: levels(MAX_DEPTH) },
    { name: 'a list of MAX_ITEMS items (the limit itself)', value: new Array<number>(MAX_ITEMS).fill(0) },
    { name: 'the same small value shared many times (a YAML alias), under the total', value: { a: Array.from({ length: 100 }, () => ({ x: [1, 2, 3] })) } },
  ];
  for (const c of accepted) {
    it(`accepts ${c.name}`, () => {
      assert.doesNotThrow(() => checkStructure(c.value, 'object'));
    });
  }

  const refused: { name: string; value: () => unknown; code: keyof typeof ErrorCodes; message: RegExp }[] = [
    {
      name: `${MAX_DEPTH + 1} levels`,
      value: () => levels(MAX_DEPTH + 1),
      code: 'OBJECT_TOO_DEEP',
      message: /^object(\.a){10}\.… \(87 more\)\.a\.a\.a is nested more than 100 levels deep/,
    },
    {
      name: '10,000 levels, with the path cut short',
      value: () => levels(10_000),
      code: 'OBJECT_TOO_DEEP',
      message: /^object(\.a){10}\.… \(87 more\)\.a\.a\.a is nested more than 100 levels deep, the limit/,
    },
    {
      name: 'deep lists, named by index',
      value: () => ({ spec: JSON.parse(`${'['.repeat(200)}${']'.repeat(200)}`) as unknown }),
      code: 'OBJECT_TOO_DEEP',
      message: /^object\.spec(\[0\]){9}\.… \(87 more\)\[0\]\[0\]\[0\] is nested more than 100/,
    },
    {
      name: 'a cycle (a YAML alias of an ancestor)',
      value: () => load('a: &a [1, *a]', { schema: CORE_SCHEMA }),
      code: 'OBJECT_TOO_DEEP',
      message: /^object\.a\[1\]\[1\]/,
    },
    {
      name: 'a list over MAX_ITEMS, named',
      value: () => ({ spec: { ingress: new Array<number>(MAX_ITEMS + 1).fill(0) } }),
      code: 'OBJECT_TOO_LARGE',
      message: /^object\.spec\.ingress has 1,572,865 items, over the limit of 1,572,864 \(more than a 3 MiB request can hold\)/,
    },
    {
      name: 'a mapping over MAX_ITEMS, named',
      value: () => {
        const labels: Record<string, string> = {};
        for (let i = 0; i <= MAX_ITEMS; i += 1) labels[`k${i}`] = '';
        return { metadata: { labels } };
      },
      code: 'OBJECT_TOO_LARGE',
      message: /^object\.metadata\.labels has 1,572,865 entries, over the limit of 1,572,864/,
    },
    {
      name: 'more than MAX_ITEMS values in all (an alias bomb of shared lists)',
      value: () => {
        let level: unknown[] = new Array<number>(10).fill(0);
        for (let i = 0; i < 7; i += 1) level = new Array<unknown>(10).fill(level); // 10^8 values, shared
        return { bomb: level };
      },
      code: 'OBJECT_TOO_LARGE',
      message: /^object holds more than 1,572,864 values in all, the limit \(more than a 3 MiB request can hold\); the limit was passed at object\.bomb/,
    },
    {
      name: 'a very long key is cut in the path',
      value: () => ({ ['k'.repeat(1000)]: levels(MAX_DEPTH) }),
      code: 'OBJECT_TOO_DEEP',
      message: /^object\["k{40}…"\]\.a\.a/,
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} with ${c.code}, naming the field and the limit`, () => {
      const value = c.value();
      const err = refusal(() => checkStructure(value, 'object'));
      assert.equal(err.code, c.code);
      assert.match(err.message, c.message);
      assert.ok(err.message.length < 400, `a short message: ${err.message.length} characters`);
    });
  }

  const paths: { name: string; keys: (string | number)[]; want: string }[] = [
    { name: 'a short path is shown whole', keys: ['spec', 'ingress', 0, 'from'], want: 'object.spec.ingress[0].from' },
    { name: 'keys with odd characters are quoted', keys: ['metadata', 'labels', 'a b'], want: 'object.metadata.labels["a b"]' },
    { name: 'label keys with dots and slashes stay readable', keys: ['labels', 'stagewall.dev/stage'], want: 'object.labels.stagewall.dev/stage' },
    {
      name: 'a long path keeps its head and tail',
      keys: Array.from({ length: 20 }, (_, i) => `k${i}`),
      want: 'object.k0.k1.k2.k3.k4.k5.k6.k7.k8.k9.… (7 more).k17.k18.k19',
    },
  ];
  for (const c of paths) {
    it(`formatPath: ${c.name}`, () => assert.equal(formatPath('object', c.keys), c.want));
  }
});

const CYCLE = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: etl-transform}\nspec: {x: &a [1, *a]}\n';
/** 10 values, aliased 10 times per level over 7 levels: 10^8 values from a few hundred bytes. */
const ALIAS_BOMB = [
  'apiVersion: v1',
  'kind: Pod',
  'metadata: {name: p, namespace: etl-transform}',
  'spec:',
  '  l0: &l0 [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]',
  ...Array.from({ length: 7 }, (_, i) => `  l${i + 1}: &l${i + 1} [${Array.from({ length: 10 }, () => `*l${i}`).join(', ')}]`),
].join('\n');

describe('engine/limits: the engine entry points refuse an object beyond the limits', () => {
  const config = loadConfigFile('examples/stagewall.yaml');
  const ctx: EngineContext = { config, view: examplesView() };
  const deepPod = (): KubeObject => ({ ...smallPod(), spec: { ...(smallPod()['spec'] as object), extra: nested(10_000) } });
  const cases: { name: string; run: () => unknown; path: RegExp }[] = [
    {
      name: 'evaluate: a peer podSelector with an extra field 10,000 deep (was a stack overflow)',
      run: () => evaluate({ operation: 'CREATE', object: deepPeerField(10_000) }, ctx),
      path: /^object\.spec\.ingress\[0\]\.from\[0\]\.podSelector\.extra\.a\.a\.a\.… \(87 more\)\.a\.a\.a /,
    },
    {
      name: 'evaluate: a deep oldObject on UPDATE',
      run: () => evaluate({ operation: 'UPDATE', object: smallPolicy(), oldObject: deepPeerField(10_000) }, ctx),
      path: /^oldObject\.spec\.ingress\[0\]/,
    },
    { name: 'evaluate: a deep Pod', run: () => evaluate({ operation: 'CREATE', object: deepPod() }, ctx), path: /^object\.spec\.extra\.a\.a/ },
    { name: 'mutations: a deep Pod', run: () => mutations({ operation: 'CREATE', object: deepPod() }, ctx), path: /^object\.spec\.extra\.a\.a/ },
    {
      name: 'the manifest loader: a cycle made with a YAML alias, with file and line',
      run: () => parseManifests(CYCLE, 'cycle.yaml'),
      path: /^cycle\.yaml:1: object\.spec\.x\[1\]\[1\]\[1\]/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const err = refusal(c.run);
      assert.equal(err.code, 'OBJECT_TOO_DEEP');
      assert.match(err.message, c.path);
      assert.match(err.message, /more than 100 levels deep/);
    });
  }

  it('the manifest loader: an alias bomb is refused as too large, with file and line', () => {
    const err = refusal(() => parseManifests(ALIAS_BOMB, 'bomb.yaml'));
    assert.equal(err.code, 'OBJECT_TOO_LARGE');
    assert.match(err.message, /^bomb\.yaml:1: object holds more than 1,572,864 values in all/);
  });

  // The limits are a last resort: the hostile shapes of issue 10, at the sizes, are valid
  // objects and are judged (their verdicts are those of the old, quadratic engine).
  const valid: { name: string; object: () => KubeObject; verdict: string }[] = [
    { name: '20,000 ingress rules (2.4 MB)', object: () => manyRules(20_000), verdict: 'deny' },
    { name: 'an ipBlock with 16,000 excepts', object: () => manyExcepts(16_000), verdict: 'deny' },
    { name: '400 In requirements x 300 values and a NotIn (800 KB)', object: () => manyRequirements(400, 300), verdict: 'allow' },
  ];
  for (const c of valid) {
    it(`a valid policy of ${c.name} is judged, not refused`, () => {
      assert.equal(evaluate({ operation: 'CREATE', object: c.object() }, ctx).verdict, c.verdict);
    });
  }

  it('a policy just under the depth limit is judged, not refused', () => {
    const decision = evaluate({ operation: 'CREATE', object: deepPeerField(MAX_DEPTH - 8) }, ctx);
    assert.equal(decision.verdict, 'allow');
  });
});
