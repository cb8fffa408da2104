import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStagewallError, type ErrorCode } from '../../src/errors.js';
import { loadManifests, parseManifests, type LoadedObject } from '../../src/manifests/load.js';

const pod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n`;

function summary(objects: LoadedObject[]): [string, string | undefined, string, number, boolean][] {
  return objects.map((o) => [o.object.kind ?? '', o.object.metadata?.name, o.source.file, o.source.line, o.judged]);
}

/** Asserts a StagewallError with that code whose message contains every fragment. */
function assertThrowsCode(fn: () => unknown, code: ErrorCode, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isStagewallError(err), `a StagewallError, not ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const f of fragments) assert.ok(err.message.includes(f), `"${err.message}" should contain "${f}"`);
    return true;
  });
}

describe('manifests/load', () => {
  describe('parseManifests: documents', () => {
    const cases: { name: string; text: string; want: ReturnType<typeof summary> }[] = [
      { name: 'one YAML document', text: pod('a'), want: [['Pod', 'a', 'f.yaml', 1, true]] },
      {
        name: 'multi-document YAML, each object with the line it starts on',
        text: `${pod('a')}---\n${pod('b')}---\n# a comment before\n${pod('c')}`,
        want: [
          ['Pod', 'a', 'f.yaml', 1, true],
          ['Pod', 'b', 'f.yaml', 6, true],
          ['Pod', 'c', 'f.yaml', 12, true],
        ],
      },
      {
        name: 'empty documents (blank, comment-only, a leading ---) are skipped',
        text: `---\n---\n# nothing here\n---\n${pod('a')}---\n\n---\n`,
        want: [['Pod', 'a', 'f.yaml', 5, true]],
      },
      { name: 'an empty file holds nothing', text: '', want: [] },
      {
        name: 'JSON is YAML: one object',
        text: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' } }, null, 2),
        want: [['Pod', 'j', 'f.yaml', 1, true]],
      },
      {
        name: 'kind: List is expanded, items with their own line numbers',
        text: 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Namespace\n    metadata: {name: n}\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: p}\n',
        want: [
          ['Namespace', 'n', 'f.yaml', 4, true],
          ['Pod', 'p', 'f.yaml', 7, true],
        ],
      },
      {
        name: 'a JSON List (kubectl get -o json) keeps item lines',
        text: '{\n  "apiVersion": "v1",\n  "kind": "List",\n  "items": [\n    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}},\n    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}}\n  ]\n}\n',
        want: [
          ['Pod', 'a', 'f.yaml', 5, true],
          ['Pod', 'b', 'f.yaml', 6, true],
        ],
      },
      {
        name: 'a typed list (PodList) is expanded too',
        text: 'apiVersion: v1\nkind: PodList\nitems:\n  - {apiVersion: v1, kind: Pod, metadata: {name: a}}\n',
        want: [['Pod', 'a', 'f.yaml', 4, true]],
      },
      {
        name: 'typed list items without kind take it from the list (PodList -> Pod), and its apiVersion',
        text: 'apiVersion: v1\nkind: PodList\nitems:\n  - {metadata: {name: a}}\n---\napiVersion: apps/v1\nkind: DeploymentList\nitems:\n  - metadata: {name: d}\n    spec: {template: {metadata: {labels: {app: d}}}}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n  - {metadata: {name: np, namespace: x}, spec: {podSelector: {}}}\n',
        want: [
          ['Pod', 'a', 'f.yaml', 4, true],
          ['Deployment', 'd', 'f.yaml', 9, true],
          ['NetworkPolicy', 'np', 'f.yaml', 15, true],
        ],
      },
      { name: 'an empty List holds nothing', text: 'apiVersion: v1\nkind: List\nitems: []\n', want: [] },
      {
        name: 'pass-through kinds (Service, ConfigMap) load with judged=false',
        text: 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n',
        want: [
          ['Service', 's', 'f.yaml', 1, false],
          ['ConfigMap', 'c', 'f.yaml', 5, false],
        ],
      },
      {
        name: 'every judged kind with its apiVersion is judged',
        text: [
          ['v1', 'Pod'],
          ['v1', 'Namespace'],
          ['networking.k8s.io/v1', 'NetworkPolicy'],
          ['apps/v1', 'Deployment'],
          ['apps/v1', 'StatefulSet'],
          ['apps/v1', 'DaemonSet'],
          ['apps/v1', 'ReplicaSet'],
          ['batch/v1', 'Job'],
          ['batch/v1', 'CronJob'],
        ]
          .map(([v, k]) => `apiVersion: ${v}\nkind: ${k}\nmetadata: {name: x}\n`)
          .join('---\n'),
        want: ['Pod', 'Namespace', 'NetworkPolicy', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'].map((k, i) => [
          k,
          'x',
          'f.yaml',
          1 + i * 4,
          true,
        ]),
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        assert.deepEqual(summary(parseManifests(c.text, 'f.yaml')), c.want);
      });
    }

    it('the object is the decoded document', () => {
      const [loaded] = parseManifests('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {x: "1"}\nspec: {hostNetwork: true}\n', 'f.yaml');
      assert.deepEqual(loaded?.object, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', labels: { x: '1' } }, spec: { hostNetwork: true } });
    });
  });

  describe('parseManifests: errors name the file and line', () => {
    const cases: { name: string; text: string; code: ErrorCode; fragments: string[] }[] = [
      {
        name: 'malformed YAML (bad indentation) → MANIFEST_YAML',
        text: `${pod('a')}---\napiVersion: v1\nkind: Pod\nmetadata:\n name: x\n  bad: indent\n`,
        code: 'MANIFEST_YAML',
        fragments: ['f.yaml:10:', 'not valid YAML'] /* the offending line */,
      },
      {
        name: 'a tab as indentation → MANIFEST_YAML',
        text: 'apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n',
        code: 'MANIFEST_YAML',
        fragments: ['f.yaml:4:'],
      },
      { name: 'a duplicate key → MANIFEST_YAML', text: 'apiVersion: v1\nkind: Pod\nkind: Pod\n', code: 'MANIFEST_YAML', fragments: ['f.yaml:3:', 'unique'] },
      { name: 'an unclosed JSON object → MANIFEST_YAML', text: '{"apiVersion": "v1",\n "kind": "Pod"\n', code: 'MANIFEST_YAML', fragments: ['f.yaml:'] },
      {
        name: 'a missing apiVersion → MANIFEST_KIND',
        text: `${pod('a')}---\nkind: Pod\nmetadata: {name: b}\n`,
        code: 'MANIFEST_KIND',
        fragments: ['f.yaml:6: Pod b: apiVersion is missing'],
      },
      {
        name: 'a missing kind → MANIFEST_KIND',
        text: 'apiVersion: v1\nmetadata: {name: b, namespace: n}\n',
        code: 'MANIFEST_KIND',
        fragments: ['f.yaml:1: object n/b: kind is missing'],
      },
      {
        name: 'an unknown kind → MANIFEST_KIND',
        text: `${pod('a')}---\napiVersion: example.com/v1\nkind: Widget\n`,
        code: 'MANIFEST_KIND',
        fragments: ['f.yaml:6: Widget (unnamed): unknown apiVersion/kind', '--ignore-unknown'],
      },
      {
        name: 'a judged kind with the wrong apiVersion (extensions/v1beta1 NetworkPolicy) → MANIFEST_KIND',
        text: 'apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: np}\n',
        code: 'MANIFEST_KIND',
        fragments: ['f.yaml:1: NetworkPolicy np: apiVersion must be networking.k8s.io/v1 for a NetworkPolicy, not "extensions/v1beta1"'],
      },
      {
        name: 'apps/v1beta1 Deployment → MANIFEST_KIND',
        text: 'apiVersion: apps/v1beta1\nkind: Deployment\n',
        code: 'MANIFEST_KIND',
        fragments: ['Deployment (unnamed): apiVersion must be apps/v1 for a Deployment'],
      },
      {
        name: 'a bad List item is located at its own line',
        text: 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n  - kind: Pod\n',
        code: 'MANIFEST_KIND',
        fragments: ['f.yaml:6: Pod (unnamed): apiVersion is missing'],
      },
      { name: 'a scalar document → MANIFEST_SHAPE', text: 'just text\n', code: 'MANIFEST_SHAPE', fragments: ['f.yaml:1: the document is string "just text"'] },
      {
        name: 'metadata that is not a mapping → MANIFEST_SHAPE',
        text: 'apiVersion: v1\nkind: Pod\nmetadata: [a]\n',
        code: 'MANIFEST_SHAPE',
        fragments: ['f.yaml:1: Pod (unnamed): metadata must be a mapping, not a list'],
      },
    ];
    for (const c of cases) {
      it(c.name, () => assertThrowsCode(() => parseManifests(c.text, 'f.yaml'), c.code, ...c.fragments));
    }

    it('ignoreUnknown accepts custom resources, unjudged', () => {
      const text = `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n${pod('a')}`;
      assert.deepEqual(summary(parseManifests(text, 'f.yaml', { ignoreUnknown: true })), [
        ['Widget', 'w', 'f.yaml', 1, false],
        ['Pod', 'a', 'f.yaml', 5, true],
      ]);
    });
    it('ignoreUnknown does not excuse a missing kind or malformed YAML', () => {
      assertThrowsCode(() => parseManifests('apiVersion: v1\n', 'f.yaml', { ignoreUnknown: true }), 'MANIFEST_KIND', 'f.yaml:1:');
      assertThrowsCode(() => parseManifests('a: [\n', 'f.yaml', { ignoreUnknown: true }), 'MANIFEST_YAML', 'f.yaml:');
    });
  });

  describe('parseManifests: fields the engine reads must have their shape (MANIFEST_SHAPE, not a crash)', () => {
    const np = (spec: string) => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: etl}\nspec:\n${spec}\n`;
    const cases: { name: string; text: string; fragments: string[] }[] = [
      {
        name: 'ingress that is a mapping',
        text: np('  podSelector: {}\n  ingress: {}'),
        fragments: ['NetworkPolicy etl/np: spec.ingress must be a list, not a mapping'],
      },
      { name: 'from that is a mapping', text: np('  podSelector: {}\n  ingress: [{from: {}}]'), fragments: ['spec.ingress[0].from must be a list'] },
      { name: 'a null rule', text: np('  podSelector: {}\n  egress: [null]'), fragments: ['spec.egress[0] must be a mapping, not null'] },
      { name: 'a null peer', text: np('  podSelector: {}\n  egress: [{to: [null]}]'), fragments: ['spec.egress[0].to[0] must be a mapping, not null'] },
      {
        name: 'matchLabels that is a string',
        text: np('  podSelector: {matchLabels: x}'),
        fragments: ['spec.podSelector.matchLabels must be a mapping, not string "x"'],
      },
      {
        name: 'matchExpressions that is a mapping',
        text: np('  podSelector: {matchExpressions: {}}'),
        fragments: ['spec.podSelector.matchExpressions must be a list'],
      },
      {
        name: 'a numeric selector value',
        text: np('  podSelector: {}\n  ingress: [{from: [{podSelector: {matchLabels: {tier: 3}}}]}]'),
        fragments: ['spec.ingress[0].from[0].podSelector.matchLabels.tier must be a string, not number 3 (quote it: "3")'],
      },
      {
        name: 'a cidr that is a number',
        text: np('  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 5}}]}]'),
        fragments: ['ipBlock.cidr must be a string'],
      },
      {
        name: 'except that is a string',
        text: np('  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: 10.1.0.0/16}}]}]'),
        fragments: ['ipBlock.except must be a list'],
      },
      { name: 'policyTypes that is a string', text: np('  podSelector: {}\n  policyTypes: Ingress'), fragments: ['spec.policyTypes must be a list'] },
      {
        name: 'a policyType in the wrong case',
        text: np('  podSelector: {}\n  policyTypes: [ingress]'),
        fragments: ['spec.policyTypes[0] must be Ingress or Egress'],
      },
      {
        name: 'labels that are a list',
        text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: [a]}\n',
        fragments: ['Pod p: metadata.labels must be a mapping, not a list'],
      },
      {
        name: 'an unquoted numeric label value',
        text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: etl, labels: {stagewall.dev/stage: 1}}\n',
        fragments: ['Pod etl/p: metadata.labels.stagewall.dev/stage must be a string, not number 1'],
      },
      {
        name: 'a namespace that is a list',
        text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: [etl]}\n',
        fragments: ['metadata.namespace must be a string'],
      },
      { name: 'a pod spec that is a list', text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: []\n', fragments: ['spec must be a mapping'] },
      {
        name: 'hostNetwork that is a string',
        text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostNetwork: "yes"}\n',
        fragments: ['spec.hostNetwork must be true or false'],
      },
      {
        name: 'template labels that are a list',
        text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {metadata: {labels: [x]}}}\n',
        fragments: ['Deployment d: spec.template.metadata.labels must be a mapping'],
      },
      {
        name: 'a CronJob jobTemplate that is a string',
        text: 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: x}\n',
        fragments: ['CronJob c: spec.jobTemplate must be a mapping'],
      },
      {
        name: 'a CronJob template hostNetwork that is a string',
        text: 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {template: {spec: {hostNetwork: "true"}}}}}\n',
        fragments: ['spec.jobTemplate.spec.template.spec.hostNetwork must be true or false'],
      },
      {
        name: 'Namespace labels that are a string',
        text: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: n, labels: x}\n',
        fragments: ['Namespace n: metadata.labels must be a mapping'],
      },
    ];
    for (const c of cases) {
      it(c.name, () => assertThrowsCode(() => parseManifests(`${pod('first')}---\n${c.text}`, 'f.yaml'), 'MANIFEST_SHAPE', 'f.yaml:6:', ...c.fragments));
    }

    it('pass-through kinds are not shape-checked', () => {
      assert.equal(parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {n: 1}}\n', 'f.yaml').length, 1);
    });
    it('well-formed objects with fields the engine ignores load', () => {
      const text =
        np(
          '  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{port: 80}]}]\n  egress: [{}]',
        ) +
        '---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: {a: "1"}, annotations: {x: y}}\nspec: {replicas: 2, template: {metadata: {creationTimestamp: null}, spec: {hostNetwork: false}}}\n';
      assert.equal(parseManifests(text, 'f.yaml').length, 2);
    });
  });

  describe('loadManifests: paths', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'stagewall-load-'));
      mkdirSync(join(dir, 'b', 'deep'), { recursive: true });
      mkdirSync(join(dir, '.git'));
      mkdirSync(join(dir, 'node_modules'));
      writeFileSync(join(dir, 'a.yaml'), pod('a'));
      writeFileSync(join(dir, 'b', 'c.yml'), `${pod('c1')}---\n${pod('c2')}`);
      writeFileSync(join(dir, 'b', 'deep', 'd.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'd' } }));
      writeFileSync(join(dir, 'b', 'README.md'), '# not a manifest: [\n');
      writeFileSync(join(dir, '.git', 'x.yaml'), pod('hidden'));
      writeFileSync(join(dir, 'node_modules', 'x.yaml'), pod('module'));
      writeFileSync(join(dir, 'E.YAML'), pod('upper'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a folder is read recursively, sorted, only .yaml/.yml/.json, skipping dot folders and node_modules', () => {
      const loaded = loadManifests([dir]);
      assert.deepEqual(
        loaded.map((o) => [o.object.metadata?.name, o.source.file.slice(dir.length + 1), o.source.line]),
        [
          ['a', 'a.yaml', 1],
          ['c1', join('b', 'c.yml'), 1],
          ['c2', join('b', 'c.yml'), 6],
          ['d', join('b', 'deep', 'd.json'), 1],
          ['upper', 'E.YAML', 1],
        ],
      );
    });
    it('a file path is read as given', () => {
      assert.deepEqual(
        loadManifests([join(dir, 'a.yaml')]).map((o) => o.object.metadata?.name),
        ['a'],
      );
    });
    it('several paths keep their order', () => {
      assert.deepEqual(
        loadManifests([join(dir, 'b', 'deep'), join(dir, 'a.yaml')]).map((o) => o.object.metadata?.name),
        ['d', 'a'],
      );
    });
    it('a file under the working directory is named relative to it', () => {
      const [loaded] = loadManifests(['examples/pipeline/manifests/namespaces.yaml']);
      assert.equal(loaded?.source.file, join('examples', 'pipeline', 'manifests', 'namespaces.yaml'));
    });
    it('"-" reads the injected stdin, named <stdin>', () => {
      let calls = 0;
      const loaded = loadManifests(['-'], {
        stdin: () => {
          calls += 1;
          return `${pod('s1')}---\n${pod('s2')}`;
        },
      });
      assert.equal(calls, 1);
      assert.deepEqual(summary(loaded), [
        ['Pod', 's1', '<stdin>', 1, true],
        ['Pod', 's2', '<stdin>', 6, true],
      ]);
    });
    it('stdin errors are located in <stdin>', () => {
      assertThrowsCode(() => loadManifests(['-'], { stdin: () => 'kind: Pod\n' }), 'MANIFEST_KIND', '<stdin>:1:');
    });
    it('a malformed file names its path and line', () => {
      const bad = join(dir, 'bad', 'broken.yaml');
      mkdirSync(join(dir, 'bad'));
      writeFileSync(bad, `${pod('ok')}---\napiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: [}\n`);
      try {
        assertThrowsCode(() => loadManifests([join(dir, 'bad')]), 'MANIFEST_YAML', `${bad}:9:`);
      } finally {
        rmSync(join(dir, 'bad'), { recursive: true });
      }
    });
    it('a folder without any manifest → MANIFEST_READ, so a wrong path in CI does not pass quietly', () => {
      const empty = join(dir, 'empty');
      mkdirSync(join(empty, 'docs'), { recursive: true });
      writeFileSync(join(empty, 'docs', 'README.md'), '# nothing to judge\n');
      try {
        assertThrowsCode(() => loadManifests([empty]), 'MANIFEST_READ', `no manifests (.yaml, .yml, .json) under ${empty}`);
      } finally {
        rmSync(empty, { recursive: true });
      }
    });
    it('a missing path → MANIFEST_READ naming it', () => {
      const missing = join(dir, 'nope.yaml');
      assertThrowsCode(() => loadManifests([missing]), 'MANIFEST_READ', missing, 'no such file or directory');
    });
  });
});
