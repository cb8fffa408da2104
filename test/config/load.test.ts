import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, parseConfig, resolveConfig } from '../../src/config/load.js';
import type { StagewallConfig } from '../../src/config/model.js';
import { StagewallError, type ErrorCode } from '../../src/errors.js';
import { makeConfig } from '../helpers/config.js';

const HEAD = { apiVersion: 'stagewall.dev/v1alpha1', kind: 'StagewallConfig' };

/** Runs `f`, which must throw a StagewallError with `code`, and returns its details. */
function failure(f: () => unknown, code: ErrorCode): readonly string[] {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof StagewallError, `not a StagewallError: ${String(err)}`);
    assert.equal(err.code, code, err.describe());
    return err.details;
  }
  assert.fail(`expected ${code}, but the config loaded`);
}

/** Every edge of the config as `from>to`, sorted, read from both ends to prove they agree. */
function edges(config: StagewallConfig): string[] {
  const out = new Set<string>();
  const fromIngress = new Set<string>();
  for (const stage of config.stages.values()) {
    for (const to of stage.egressTo) out.add(`${stage.id}>${to}`);
    for (const from of stage.ingressFrom) fromIngress.add(`${from}>${stage.id}`);
  }
  assert.deepEqual([...fromIngress].sort(), [...out].sort(), 'ingressFrom and egressTo disagree');
  return [...out].sort();
}

describe('config/load: defaults', () => {
  const config = makeConfig({ pipelines: [{ name: 'etl', stages: [{ name: 'extract' }] }] });
  const cases: { name: string; got: () => unknown; want: unknown }[] = [
    { name: 'mode defaults to enforce', got: () => config.mode, want: 'enforce' },
    {
      name: 'labels default to stagewall.dev/pipeline and stagewall.dev/stage',
      got: () => config.labels,
      want: { pipeline: 'stagewall.dev/pipeline', stage: 'stagewall.dev/stage' },
    },
    {
      name: 'exemptNamespaces default to the system namespaces and stagewall-system',
      got: () => [...config.exemptNamespaces],
      want: ['kube-system', 'kube-public', 'kube-node-lease', 'stagewall-system'],
    },
    { name: 'defaultDeny defaults to enabled with allowDNS', got: () => config.defaultDeny, want: { enabled: true, allowDNS: true } },
    { name: 'workloadCoverage defaults to warn', got: () => config.workloadCoverage, want: 'warn' },
    { name: "serviceAccount defaults to stagewall's own", got: () => config.serviceAccount, want: 'system:serviceaccount:stagewall-system:stagewall' },
    { name: 'a pipeline inherits the top-level mode', got: () => config.pipelines.get('etl')?.mode, want: 'enforce' },
    { name: 'a stage namespace defaults to the pipeline name', got: () => config.stages.get('etl/extract')?.namespace, want: 'etl' },
    { name: 'a single stage has no edges', got: () => edges(config), want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(c.got(), c.want);
    });
  }

  const partial: { name: string; doc: Record<string, unknown>; got: (c: StagewallConfig) => unknown; want: unknown }[] = [
    {
      name: 'a partial labels object gets the other default',
      doc: { labels: { pipeline: 'example.com/p' } },
      got: (c) => c.labels,
      want: { pipeline: 'example.com/p', stage: 'stagewall.dev/stage' },
    },
    {
      name: 'a partial defaultDeny gets the other default',
      doc: { defaultDeny: { allowDNS: false } },
      got: (c) => c.defaultDeny,
      want: { enabled: true, allowDNS: false },
    },
    { name: 'an explicit empty exemptNamespaces stays empty', doc: { exemptNamespaces: [] }, got: (c) => [...c.exemptNamespaces], want: [] },
    {
      name: 'the top-level mode is every pipeline’s default',
      doc: { mode: 'audit' },
      got: (c) => [c.mode, c.pipelines.get('etl')?.mode],
      want: ['audit', 'audit'],
    },
    {
      name: 'a pipeline mode overrides the top-level mode',
      doc: {
        mode: 'audit',
        pipelines: [
          { name: 'etl', mode: 'off', stages: [{ name: 'a' }] },
          { name: 'ml', stages: [{ name: 'a' }] },
        ],
      },
      got: (c) => [c.pipelines.get('etl')?.mode, c.pipelines.get('ml')?.mode],
      want: ['off', 'audit'],
    },
    { name: 'the document keeps the applied defaults', doc: {}, got: (c) => c.document.workloadCoverage, want: 'warn' },
  ];
  for (const c of partial) {
    it(c.name, () => {
      assert.deepEqual(c.got(makeConfig({ pipelines: [{ name: 'etl', stages: [{ name: 'extract' }] }], ...c.doc })), c.want);
    });
  }

  it('the input document is not mutated by defaulting', () => {
    const doc = { ...HEAD, pipelines: [{ name: 'etl', stages: [{ name: 'a' }] }] };
    resolveConfig(doc);
    assert.deepEqual(Object.keys(doc), ['apiVersion', 'kind', 'pipelines']);
  });

  it('an empty pipeline list is valid', () => {
    assert.equal(makeConfig({ pipelines: [] }).pipelines.size, 0);
  });
});

describe('config/load: schema errors (CONFIG_SCHEMA, every error with its path)', () => {
  const cases: { name: string; doc: Record<string, unknown>; want: string[] }[] = [
    {
      name: 'a wrong mode AND an unknown field are both listed',
      doc: { ...HEAD, mode: 'strict', bogus: 1, pipelines: [] },
      want: ['(top level): unknown field "bogus"', '/mode: must be one of "enforce", "audit", "off"'],
    },
    { name: 'a wrong apiVersion', doc: { ...HEAD, apiVersion: 'v1', pipelines: [] }, want: ['/apiVersion: must be "stagewall.dev/v1alpha1"'] },
    { name: 'a wrong kind', doc: { ...HEAD, kind: 'Config', pipelines: [] }, want: ['/kind: must be "StagewallConfig"'] },
    { name: 'missing apiVersion, kind and pipelines', doc: {}, want: ['/apiVersion: is required', '/kind: is required', '/pipelines: is required'] },
    { name: 'pipelines is not an array', doc: { ...HEAD, pipelines: {} }, want: ['/pipelines: must be array'] },
    { name: 'a pipeline without stages', doc: { ...HEAD, pipelines: [{ name: 'etl' }] }, want: ['/pipelines/0/stages: is required'] },
    {
      name: 'a pipeline with an empty stage list',
      doc: { ...HEAD, pipelines: [{ name: 'etl', stages: [] }] },
      want: ['/pipelines/0/stages: must NOT have fewer than 1 items'],
    },
    {
      name: 'a pipeline name that is not a DNS label',
      doc: { ...HEAD, pipelines: [{ name: 'ETL_1', stages: [{ name: 'a' }] }] },
      want: ['/pipelines/0/name: must match pattern "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"'],
    },
    {
      name: 'a stage name longer than 63',
      doc: { ...HEAD, pipelines: [{ name: 'etl', stages: [{ name: 'a'.repeat(64) }] }] },
      want: ['/pipelines/0/stages/0/name: must NOT have more than 63 characters'],
    },
    {
      name: 'an unknown stage field',
      doc: { ...HEAD, pipelines: [{ name: 'etl', stages: [{ name: 'a', egress: [] }] }] },
      want: ['/pipelines/0/stages/0: unknown field "egress"'],
    },
    {
      name: 'an unknown pipeline field',
      doc: { ...HEAD, pipelines: [{ name: 'etl', stage: [], stages: [{ name: 'a' }] }] },
      want: ['/pipelines/0: unknown field "stage"'],
    },
    {
      name: 'a wrong pipeline mode',
      doc: { ...HEAD, pipelines: [{ name: 'etl', mode: 'enforcing', stages: [{ name: 'a' }] }] },
      want: ['/pipelines/0/mode: must be one of "enforce", "audit", "off"'],
    },
    { name: 'an unknown labels field', doc: { ...HEAD, labels: { team: 'x' }, pipelines: [] }, want: ['/labels: unknown field "team"'] },
    { name: 'an empty label name', doc: { ...HEAD, labels: { stage: '' }, pipelines: [] }, want: ['/labels/stage: must NOT have fewer than 1 characters'] },
    {
      name: 'defaultDeny.enabled not a boolean',
      doc: { ...HEAD, defaultDeny: { enabled: 'yes' }, pipelines: [] },
      want: ['/defaultDeny/enabled: must be boolean'],
    },
    {
      name: 'a wrong workloadCoverage',
      doc: { ...HEAD, workloadCoverage: 'block', pipelines: [] },
      want: ['/workloadCoverage: must be one of "warn", "deny"'],
    },
    {
      name: 'an exempt namespace that is not a DNS label',
      doc: { ...HEAD, exemptNamespaces: ['Kube_System'], pipelines: [] },
      want: ['/exemptNamespaces/0: must match pattern "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"'],
    },
    {
      name: 'a stage ref with two slashes',
      doc: { ...HEAD, pipelines: [{ name: 'etl', stages: [{ name: 'a', egressTo: ['x/y/z'] }] }] },
      want: ['/pipelines/0/stages/0/egressTo/0: must match pattern "^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$"'],
    },
    {
      name: 'a port out of range',
      doc: { ...HEAD, pipelines: [{ name: 'etl', stages: [{ name: 'a', ports: [{ port: 70000 }] }] }] },
      want: ['/pipelines/0/stages/0/ports/0/port: must be <= 65535'],
    },
    {
      name: 'an unknown protocol',
      doc: { ...HEAD, pipelines: [{ name: 'etl', stages: [{ name: 'a', ports: [{ port: 53, protocol: 'ICMP' }] }] }] },
      want: ['/pipelines/0/stages/0/ports/0/protocol: must be one of "TCP", "UDP", "SCTP"'],
    },
    { name: 'the whole document not an object', doc: null as unknown as Record<string, unknown>, want: ['(top level): must be object'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const details = failure(() => resolveConfig(c.doc), 'CONFIG_SCHEMA');
      assert.deepEqual([...details].sort(), [...c.want].sort());
    });
  }

  it('errors in several places are all reported at once, each with its path', () => {
    const details = failure(
      () =>
        resolveConfig({
          ...HEAD,
          mode: 'loud',
          workloadCoverage: 'maybe',
          pipelines: [{ name: 'etl', stages: [{ name: 'a', egressTo: 'b' }, { name: 'B' }] }],
        }),
      'CONFIG_SCHEMA',
    );
    for (const path of ['/mode:', '/workloadCoverage:', '/pipelines/0/stages/0/egressTo:', '/pipelines/0/stages/1/name:']) {
      assert.ok(
        details.some((d) => d.startsWith(path)),
        `${path} missing in ${details.join('; ')}`,
      );
    }
  });

  it('the message names the source and counts the errors', () => {
    assert.throws(
      () => resolveConfig({ ...HEAD, mode: 'x', bogus: 1, pipelines: [] }, 'stagewall.yaml'),
      (err: unknown) => err instanceof StagewallError && err.message === 'stagewall.yaml: invalid StagewallConfig (2 errors)',
    );
  });
});

describe('config/load: parseConfig and loadConfigFile', () => {
  const yamlCases: { name: string; text: string; detail: RegExp }[] = [
    { name: 'an unclosed flow sequence', text: 'apiVersion: stagewall.dev/v1alpha1\npipelines: [a, b\nkind: x\n', detail: /line \d+/ },
    { name: 'a duplicate key', text: 'mode: enforce\nmode: audit\n', detail: /Map keys must be unique/ },
    { name: 'tabs as indentation', text: 'labels:\n\tpipeline: x\n', detail: /Tabs/ },
    { name: 'several documents in one file', text: 'a: 1\n---\nb: 2\n', detail: /multiple documents/ },
  ];
  for (const c of yamlCases) {
    it(`a YAML syntax error (${c.name}) is CONFIG_YAML`, () => {
      const details = failure(() => parseConfig(c.text, 'stagewall.yaml'), 'CONFIG_YAML');
      assert.ok(details.length > 0);
      assert.match(details.join('\n'), c.detail);
      // Each problem keeps its snippet: the line, and a caret under the column (issue 12: no dangling "column 7:").
      for (const d of details) {
        const [first = '', ...snippet] = d.split('\n');
        if (/at line \d+, column \d+:$/.test(first)) {
          assert.ok(snippet.length >= 2, `a snippet under "${first}"`);
          assert.match(snippet.at(-1) ?? '', /^ +\^+$/, 'the caret line');
        }
        assert.ok(!/:$/.test(d), `no dangling colon: ${d}`);
      }
    });
  }

  it('valid YAML is validated and resolved', () => {
    const config = parseConfig(
      [
        'apiVersion: stagewall.dev/v1alpha1',
        'kind: StagewallConfig',
        'mode: audit',
        'pipelines:',
        '  - name: etl',
        '    stages:',
        '      - name: extract',
        '      - name: load',
      ].join('\n'),
    );
    assert.equal(config.mode, 'audit');
    assert.deepEqual(edges(config), ['etl/extract>etl/load']);
  });

  it('JSON is YAML too', () => {
    const config = parseConfig(JSON.stringify({ ...HEAD, pipelines: [{ name: 'etl', stages: [{ name: 'a' }] }] }));
    assert.equal(config.pipelines.size, 1);
  });

  it('valid YAML with schema errors is CONFIG_SCHEMA', () => {
    failure(() => parseConfig('apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\nmode: nope\npipelines: []\n'), 'CONFIG_SCHEMA');
  });

  it('an empty file is CONFIG_SCHEMA (not an object)', () => {
    assert.deepEqual(
      failure(() => parseConfig(''), 'CONFIG_SCHEMA'),
      ['(top level): must be object'],
    );
  });

  describe('files', () => {
    let dir = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'stagewall-config-'));
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('an unreadable (missing) file is CONFIG_READ naming the path', () => {
      const path = join(dir, 'missing.yaml');
      assert.throws(
        () => loadConfigFile(path),
        (err: unknown) => err instanceof StagewallError && err.code === 'CONFIG_READ' && err.message.includes(path),
      );
    });

    it('a directory is CONFIG_READ', () => {
      failure(() => loadConfigFile(dir), 'CONFIG_READ');
    });

    it('a file is loaded and its path names it in errors', () => {
      const good = join(dir, 'good.yaml');
      writeFileSync(good, 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\npipelines:\n  - name: etl\n    stages: [{name: a}, {name: b}]\n');
      assert.deepEqual(edges(loadConfigFile(good)), ['etl/a>etl/b']);
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\nmode: x\npipelines: []\n');
      assert.throws(
        () => loadConfigFile(bad),
        (err: unknown) => err instanceof StagewallError && err.code === 'CONFIG_SCHEMA' && err.message.startsWith(`${bad}: `),
      );
      const broken = join(dir, 'broken.yaml');
      writeFileSync(broken, 'mode: [\n');
      assert.throws(
        () => loadConfigFile(broken),
        (err: unknown) => err instanceof StagewallError && err.code === 'CONFIG_YAML' && err.message.startsWith(`${broken}: `),
      );
    });
  });
});

describe('config/load: semantic checks (CONFIG_SEMANTIC, each problem in details)', () => {
  const cases: { name: string; doc: Record<string, unknown>; want: RegExp[] }[] = [
    {
      name: 'a duplicate pipeline',
      doc: {
        pipelines: [
          { name: 'etl', stages: [{ name: 'a' }] },
          { name: 'etl', stages: [{ name: 'b' }] },
        ],
      },
      want: [/^\/pipelines\/1\/name: duplicate pipeline name "etl"$/],
    },
    {
      name: 'a duplicate stage',
      doc: { pipelines: [{ name: 'etl', stages: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] }] },
      want: [/^\/pipelines\/0\/stages\/2\/name: duplicate stage "a" in pipeline "etl"$/],
    },
    {
      name: 'the same stage name in two pipelines is fine, so only the real duplicate is reported',
      doc: {
        pipelines: [
          { name: 'etl', stages: [{ name: 'a' }] },
          { name: 'ml', stages: [{ name: 'a' }, { name: 'a' }] },
        ],
      },
      want: [/^\/pipelines\/1\/stages\/1\/name: duplicate stage "a" in pipeline "ml"$/],
    },
    {
      name: 'an external CIDR of every address (generate would emit what egress-open refuses)',
      doc: {
        pipelines: [
          {
            name: 'etl',
            stages: [
              { name: 'a', egressExternal: ['0.0.0.0/0'] },
              { name: 'b', ingressExternal: [{ cidr: '::/0' }] },
            ],
          },
        ],
      },
      want: [
        /^\/pipelines\/0\/stages\/0\/egressExternal: 0\.0\.0\.0\/0 is every address, which egress-open refuses/,
        /^\/pipelines\/0\/stages\/1\/ingressExternal: ::\/0 is every address, which ingress-open refuses/,
      ],
    },
    {
      name: 'a pipeline namespace named as a plain namespace (name its stages instead)',
      doc: {
        pipelines: [
          {
            name: 'etl',
            stages: [
              { name: 'a', namespace: 'etl-a' },
              { name: 'b', egressNamespaces: ['etl-a'] },
            ],
          },
        ],
      },
      want: [/^\/pipelines\/0\/stages\/1\/egressNamespaces: etl-a is a pipeline namespace; name its stages in egressTo instead$/],
    },
    {
      name: 'two stages whose generated policy names collide',
      doc: {
        pipelines: [
          { name: 'etl-raw', stages: [{ name: 'load' }] },
          { name: 'etl', stages: [{ name: 'raw-load' }] },
        ],
      },
      want: [/^\/pipelines\/1\/stages\/0\/name: its generated policy stagewall-etl-raw-load would collide with stage etl-raw\/load/],
    },
    {
      name: 'a stage whose generated policy would replace a managed one',
      doc: { pipelines: [{ name: 'allow', stages: [{ name: 'dns' }] }] },
      want: [/^\/pipelines\/0\/stages\/0\/name: its generated policy stagewall-allow-dns would collide with the managed allow-dns/],
    },
    {
      name: 'an unknown stage in egressTo',
      doc: { pipelines: [{ name: 'etl', stages: [{ name: 'a', egressTo: ['nope'] }] }] },
      want: [/^\/pipelines\/0\/stages\/0\/egressTo\/0: unknown stage "nope" \(declared: etl\/a\)$/],
    },
    {
      name: 'an unknown stage in ingressFrom',
      doc: { pipelines: [{ name: 'etl', stages: [{ name: 'a' }, { name: 'b', ingressFrom: ['a', 'zzz'] }] }] },
      want: [/^\/pipelines\/0\/stages\/1\/ingressFrom\/1: unknown stage "zzz"/],
    },
    {
      name: 'a pipeline/stage ref to an unknown pipeline',
      doc: { pipelines: [{ name: 'etl', stages: [{ name: 'a', egressTo: ['ml/train'] }] }] },
      want: [/^\/pipelines\/0\/stages\/0\/egressTo\/0: unknown stage "ml\/train"/],
    },
    {
      name: 'a pipeline/stage ref to an unknown stage of a known pipeline',
      doc: {
        pipelines: [
          { name: 'etl', stages: [{ name: 'a', ingressFrom: ['ml/nope'] }] },
          { name: 'ml', stages: [{ name: 'train' }] },
        ],
      },
      want: [/^\/pipelines\/0\/stages\/0\/ingressFrom\/0: unknown stage "ml\/nope" \(declared: etl\/a, ml\/train\)$/],
    },
    {
      name: 'a bare name refers to the own pipeline, not another one',
      doc: {
        pipelines: [
          { name: 'etl', stages: [{ name: 'a', egressTo: ['train'] }] },
          { name: 'ml', stages: [{ name: 'train' }] },
        ],
      },
      want: [/^\/pipelines\/0\/stages\/0\/egressTo\/0: unknown stage "train"/],
    },
    {
      name: 'an invalid CIDR in egressExternal',
      doc: { pipelines: [{ name: 'etl', stages: [{ name: 'a', egressExternal: ['203.0.113.0/24', '10.0.0.0/33'] }] }] },
      want: [/^\/pipelines\/0\/stages\/0\/egressExternal\/1: "10\.0\.0\.0\/33" is not a valid CIDR: the prefix length must be at most 32$/],
    },
    {
      name: 'an invalid CIDR in object form in ingressExternal',
      doc: { pipelines: [{ name: 'etl', stages: [{ name: 'a', ingressExternal: [{ cidr: '10.0.0.1', ports: [443] }] }] }] },
      want: [/^\/pipelines\/0\/stages\/0\/ingressExternal\/0: "10\.0\.0\.1" is not a valid CIDR: missing \/prefix/],
    },
    {
      name: 'the same label for pipeline and stage',
      doc: { labels: { pipeline: 'x', stage: 'x' }, pipelines: [{ name: 'etl', stages: [{ name: 'a' }] }] },
      want: [/^\/labels: the pipeline and stage labels must differ \(both are "x"\)$/],
    },
    {
      name: 'the stage label set to the default pipeline label',
      doc: { labels: { stage: 'stagewall.dev/pipeline' }, pipelines: [] },
      want: [/^\/labels: the pipeline and stage labels must differ/],
    },
    {
      name: 'endPort with a named port (the API server refuses it in a NetworkPolicy)',
      doc: { pipelines: [{ name: 'etl', stages: [{ name: 'a', ports: [{ port: 'http', endPort: 9000 }] }] }] },
      want: [/^\/pipelines\/0\/stages\/0\/ports\/0: endPort needs a numeric port, not the named port "http"$/],
    },
    {
      name: 'endPort below port',
      doc: { pipelines: [{ name: 'etl', stages: [{ name: 'a', egressExternal: [{ cidr: '10.0.0.0/8', ports: [{ port: 9000, endPort: 8000 }] }] }] }] },
      want: [/^\/pipelines\/0\/stages\/0\/egressExternal\/0\/ports\/0: endPort 8000 must not be below port 9000$/],
    },
    {
      name: 'several problems are all listed',
      doc: {
        labels: { pipeline: 'x', stage: 'x' },
        pipelines: [
          { name: 'etl', stages: [{ name: 'a', egressTo: ['nope'], egressExternal: ['bad'] }, { name: 'a' }] },
          { name: 'etl', stages: [{ name: 'z' }] },
        ],
      },
      want: [
        /^\/pipelines\/1\/name: duplicate pipeline/,
        /^\/pipelines\/0\/stages\/1\/name: duplicate stage "a"/,
        /^\/labels: /,
        /^\/pipelines\/0\/stages\/0\/egressTo\/0: unknown stage "nope"/,
        /^\/pipelines\/0\/stages\/0\/egressExternal\/0: "bad" is not a valid CIDR/,
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const details = failure(() => makeConfig(c.doc), 'CONFIG_SEMANTIC');
      assert.equal(details.length, c.want.length, details.join('\n'));
      for (const re of c.want)
        assert.ok(
          details.some((d) => re.test(d)),
          `${re} not in:\n${details.join('\n')}`,
        );
    });
  }

  it('the message counts the problems', () => {
    assert.throws(
      () => resolveConfig({ ...HEAD, pipelines: [{ name: 'etl', stages: [{ name: 'a', egressTo: ['x', 'y'] }] }] }, 'cfg.yaml'),
      (err: unknown) => err instanceof StagewallError && err.message === 'cfg.yaml: inconsistent StagewallConfig (2 problems)',
    );
  });
});

describe('config/load: edge resolution', () => {
  const abc = (stages: Record<string, unknown>[] = [{}, {}, {}]) => ['a', 'b', 'c'].map((name, i) => ({ name, ...stages[i] }));
  const cases: { name: string; pipelines: Record<string, unknown>[]; want: string[] }[] = [
    { name: 'the default flow is linear: a→b→c', pipelines: [{ name: 'p', stages: abc() }], want: ['p/a>p/b', 'p/b>p/c'] },
    {
      name: 'the linear default never skips a stage or flows back',
      pipelines: [{ name: 'p', stages: ['a', 'b', 'c', 'd'].map((name) => ({ name })) }],
      want: ['p/a>p/b', 'p/b>p/c', 'p/c>p/d'],
    },
    {
      name: 'pipelines are not chained to each other by default',
      pipelines: [
        { name: 'p', stages: [{ name: 'a' }] },
        { name: 'q', stages: [{ name: 'a' }] },
      ],
      want: [],
    },
    {
      name: 'explicit egressTo replaces the linear default out of that stage',
      pipelines: [{ name: 'p', stages: abc([{ egressTo: ['c'] }, {}, {}]) }],
      want: ['p/a>p/c', 'p/b>p/c'],
    },
    { name: 'explicit egressTo: [] sends nowhere', pipelines: [{ name: 'p', stages: abc([{}, { egressTo: [] }, {}]) }], want: ['p/a>p/b'] },
    {
      name: 'explicit egressTo on one end suppresses the default even if the next stage lists nothing',
      pipelines: [{ name: 'p', stages: abc([{ egressTo: [] }, {}, {}]) }],
      want: ['p/b>p/c'],
    },
    {
      name: 'explicit ingressFrom on the receiving end suppresses the linear default into it',
      pipelines: [{ name: 'p', stages: abc([{}, { ingressFrom: [] }, {}]) }],
      want: ['p/b>p/c'],
    },
    {
      name: 'explicit ingressFrom declares the edge on both ends',
      pipelines: [{ name: 'p', stages: abc([{}, {}, { ingressFrom: ['a'] }]) }],
      want: ['p/a>p/b', 'p/a>p/c'],
    },
    {
      name: 'explicit egressTo declares the edge on both ends',
      pipelines: [{ name: 'p', stages: abc([{}, {}, { egressTo: ['a'] }]) }],
      want: ['p/a>p/b', 'p/b>p/c', 'p/c>p/a'],
    },
    {
      name: 'an edge listed on both ends is one edge',
      pipelines: [{ name: 'p', stages: abc([{ egressTo: ['b'] }, { ingressFrom: ['a'] }, {}]) }],
      want: ['p/a>p/b', 'p/b>p/c'],
    },
    {
      name: 'a stage may send to itself when it says so',
      pipelines: [{ name: 'p', stages: abc([{ egressTo: ['a', 'b'] }, {}, {}]) }],
      want: ['p/a>p/a', 'p/a>p/b', 'p/b>p/c'],
    },
    {
      name: 'an own-pipeline ref may be written pipeline/stage',
      pipelines: [{ name: 'p', stages: abc([{ egressTo: ['p/c'] }, {}, {}]) }],
      want: ['p/a>p/c', 'p/b>p/c'],
    },
    {
      name: 'cross-pipeline ingressFrom: the edge is on both ends, and the linear flows stay',
      pipelines: [
        { name: 'etl', stages: [{ name: 'extract' }, { name: 'load' }] },
        { name: 'report', stages: [{ name: 'collect', ingressFrom: ['etl/load'] }, { name: 'render' }] },
      ],
      want: ['etl/extract>etl/load', 'etl/load>report/collect', 'report/collect>report/render'],
    },
    {
      name: 'cross-pipeline egressTo to a pipeline declared later',
      pipelines: [
        { name: 'etl', stages: [{ name: 'extract' }, { name: 'load', egressTo: ['report/collect'] }] },
        { name: 'report', stages: [{ name: 'collect' }] },
      ],
      want: ['etl/extract>etl/load', 'etl/load>report/collect'],
    },
    {
      name: 'a cross-pipeline edge does not suppress the linear default of the other end',
      pipelines: [
        { name: 'etl', stages: [{ name: 'extract', egressTo: ['report/render'] }, { name: 'load' }] },
        { name: 'report', stages: [{ name: 'collect' }, { name: 'render' }] },
      ],
      want: ['etl/extract>report/render', 'report/collect>report/render'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(edges(makeConfig({ pipelines: c.pipelines })), c.want);
    });
  }

  it('ingressFrom and egressTo of each stage are the declared edges', () => {
    const config = makeConfig({ pipelines: [{ name: 'p', stages: abc([{}, {}, { ingressFrom: ['a', 'b'] }]) }] });
    assert.deepEqual([...(config.stages.get('p/c')?.ingressFrom ?? [])].sort(), ['p/a', 'p/b']);
    assert.deepEqual([...(config.stages.get('p/a')?.egressTo ?? [])].sort(), ['p/b', 'p/c']);
    assert.deepEqual([...(config.stages.get('p/a')?.ingressFrom ?? [])], []);
  });
});

describe('config/load: the stage model', () => {
  const config = makeConfig({
    pipelines: [
      {
        name: 'etl',
        namespace: 'data',
        stages: [
          {
            name: 'extract',
            namespace: 'extractors',
            ports: [8080, { port: 53, protocol: 'UDP' }, { port: 'metrics' }, { port: 9000, endPort: 9010 }],
            egressExternal: ['203.0.113.0/24', { cidr: '2001:db8::/32', ports: [443, { port: 53, protocol: 'UDP' }] }, { cidr: '198.51.100.0/24' }],
            egressNamespaces: ['warehouse'],
            ingressNamespaces: ['monitoring', 'monitoring'],
          },
          { name: 'load' },
        ],
      },
      { name: 'ml', stages: [{ name: 'train' }] },
    ],
  });
  const extract = () => {
    const s = config.stages.get('etl/extract');
    assert.ok(s);
    return s;
  };

  const cases: { name: string; got: () => unknown; want: unknown }[] = [
    { name: 'stage ids are pipeline/stage', got: () => [...config.stages.keys()], want: ['etl/extract', 'etl/load', 'ml/train'] },
    {
      name: 'stages keep their pipeline, name and index',
      got: () => {
        const s = config.stages.get('etl/load');
        return [s?.pipeline, s?.name, s?.index];
      },
      want: ['etl', 'load', 1],
    },
    { name: 'pipeline.stage(name) finds its stage', got: () => config.pipelines.get('etl')?.stage('load')?.id, want: 'etl/load' },
    { name: 'pipeline.stage(name) does not find another pipeline’s stage', got: () => config.pipelines.get('etl')?.stage('train'), want: undefined },
    { name: 'pipeline stages are in declaration order', got: () => config.pipelines.get('etl')?.stages.map((s) => s.name), want: ['extract', 'load'] },
    { name: 'a stage namespace wins over the pipeline namespace', got: () => extract().namespace, want: 'extractors' },
    { name: 'a stage without a namespace takes the pipeline namespace', got: () => config.stages.get('etl/load')?.namespace, want: 'data' },
    { name: 'without any namespace, the pipeline name', got: () => config.stages.get('ml/train')?.namespace, want: 'ml' },
    {
      name: 'ports: a number is TCP; protocol defaults to TCP; named ports and endPort are kept',
      got: () => extract().ports,
      want: [
        { port: 8080, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
        { port: 'metrics', protocol: 'TCP' },
        { port: 9000, protocol: 'TCP', endPort: 9010 },
      ],
    },
    { name: 'a stage without ports serves every port (empty)', got: () => config.stages.get('etl/load')?.ports, want: [] },
    {
      name: 'external entries as strings and as {cidr, ports}',
      got: () => extract().egressExternal.map((e) => e.cidr.text),
      want: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.0/24'],
    },
    { name: 'a string external entry allows every port', got: () => extract().egressExternal[0]?.ports, want: [] },
    {
      name: 'an external entry with ports: numbers are TCP, protocols kept',
      got: () => extract().egressExternal[1]?.ports,
      want: [
        { port: 443, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
    },
    { name: 'an external object without ports allows every port', got: () => extract().egressExternal[2]?.ports, want: [] },
    {
      name: 'external CIDRs are parsed (family and range)',
      got: () => {
        const c = extract().egressExternal[1]?.cidr;
        return [c?.family, c?.prefix];
      },
      want: [6, 32],
    },
    { name: 'egressNamespaces are kept', got: () => [...extract().egressNamespaces], want: ['warehouse'] },
    { name: 'ingressNamespaces are a set', got: () => [...extract().ingressNamespaces], want: ['monitoring'] },
    { name: 'no ingressExternal means none', got: () => extract().ingressExternal, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(c.got(), c.want);
    });
  }
});
