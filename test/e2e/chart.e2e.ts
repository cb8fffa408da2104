// The Helm chart (charts/stagewall) with a helm built from helm.sh/helm/v3 (assets/build-helm.sh):
// helm lint; helm template kept in step with manifests/ (and with the cert-manager component) by
// comparing parsed objects; values that drive the webhooks' scope, the config and the args; and the
// chart applied to a real kube-apiserver, where stagewall (run out of cluster, with the chart's
// config and RBAC) refuses a pod through the API server in a namespace chosen by a custom label key.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../../src/defaults.js';
import { OPS_CLOSE_TIMEOUT_MS } from '../../src/server/serve.js';
import { Cluster, ROOT, Stagewall, assetDir, freePort, helmDir, waitUntil } from './harness.js';

const CHART = join(ROOT, 'charts/stagewall');
const NAMESPACE = 'stagewall-system';
/** Labels Helm adds (and kustomize does not): they say who installed the object, not what it is. */
const HELM_LABELS = ['app.kubernetes.io/instance', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/version', 'helm.sh/chart'];

type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};
interface Webhook {
  name: string;
  namespaceSelector?: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
  matchConditions?: { name: string; expression: string }[];
  clientConfig: { service?: { namespace: string } };
}
interface PodSpec {
  terminationGracePeriodSeconds: number;
  containers: { name: string; image: string; args: string[]; resources?: unknown }[];
}

let helmBin = '';
let kubectlBin = '';
let helmHome = '';

function run(command: string, args: readonly string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(command, [...args], {
    encoding: 'utf8',
    input: input ?? '',
    // helm keeps caches and repository config under these; keep them out of $HOME.
    env: { ...process.env, HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_DATA_HOME: join(helmHome, 'data') },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function helm(args: readonly string[]): { code: number; stdout: string; stderr: string } {
  return run(helmBin, args);
}

function parse(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null && typeof o === 'object');
}

/** `helm template` of the chart into stagewall-system, with these --set / --set-json values. */
function template(sets: readonly string[] = []): Obj[] {
  const r = helm(['template', 'stagewall', CHART, '--namespace', NAMESPACE, ...sets]);
  assert.equal(r.code, 0, `helm template ${sets.join(' ')} failed: ${r.stderr}`);
  return parse(r.stdout);
}

function kustomize(dir: string): Obj[] {
  const r = run(kubectlBin, ['kustomize', dir]);
  assert.equal(r.code, 0, r.stderr);
  return parse(r.stdout);
}

const keyOf = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/**
 * What may legitimately differ between a helm render and a kustomize build: Helm's own labels, and
 * the config file's text (compared as the config stagewall loads from it, defaults applied).
 * Everything else (rules, verbs, args, selectors, conditions) must be equal.
 */
function normalise(objects: readonly Obj[]): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const original of objects) {
    const o = structuredClone(original);
    const labels = o.metadata.labels;
    if (labels) for (const l of HELM_LABELS) delete labels[l];
    if (o.kind === 'ConfigMap' && o.metadata.name === 'stagewall-config') {
      const data = o['data'] as Record<string, unknown>;
      data['stagewall.yaml'] = parseConfig(String(data['stagewall.yaml'] ?? ''), keyOf(o)).document;
    }
    // An empty matchConditions list (what the cert-manager component's removal of the guard leaves) is no list.
    for (const w of (o['webhooks'] ?? []) as Record<string, unknown>[])
      if (Array.isArray(w['matchConditions']) && w['matchConditions'].length === 0) delete w['matchConditions'];
    assert.ok(!out.has(keyOf(o)), `${keyOf(o)} rendered twice`);
    out.set(keyOf(o), o);
  }
  return out;
}

/** Asserts the two sets hold the same objects; names the first object that differs. */
function assertSameObjects(actual: readonly Obj[], expected: readonly Obj[], what: string): void {
  const a = normalise(actual);
  const e = normalise(expected);
  assert.deepEqual([...a.keys()].sort(), [...e.keys()].sort(), `${what}: the same objects`);
  for (const [key, object] of e) assert.deepEqual(a.get(key), object, `${what}: ${key}`);
}

function find(objects: readonly Obj[], kind: string, name = 'stagewall'): Obj {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} is rendered`);
  return o;
}

const webhooksOf = (objects: readonly Obj[]): Webhook[] =>
  ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'].flatMap((kind) => find(objects, kind)['webhooks'] as Webhook[]);

const podSpecOf = (objects: readonly Obj[]): PodSpec => (find(objects, 'Deployment')['spec'] as { template: { spec: PodSpec } }).template.spec;

/** The invariant serve-drain.test.ts checks on manifests/deployment.yaml, on a rendered Deployment. */
function assertDrainFits(objects: readonly Obj[]): void {
  const pod = podSpecOf(objects);
  const args = pod.containers.find((c) => c.name === 'stagewall')?.args ?? [];
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const delay = Number(flag('shutdown-delay') ?? 0);
  const timeout = Number(flag('shutdown-timeout') ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
  assert.ok(delay > 0, 'the Deployment sets a shutdown delay');
  assert.ok(
    delay + timeout + OPS_CLOSE_TIMEOUT_MS + 2000 <= pod.terminationGracePeriodSeconds * 1000,
    `${delay} + ${timeout} ms within ${pod.terminationGracePeriodSeconds} s`,
  );
}

/** Values unlike every default: the row that proves the values drive the objects. */
const CUSTOM = [
  '--set',
  'labels.pipeline=example.com/flow',
  '--set',
  'labels.stage=example.com/step',
  '--set-json',
  'exemptNamespaces=["kube-public","kube-node-lease","legacy-batch"]',
  '--set',
  'mode=enforce',
  '--set',
  'replicas=3',
  '--set',
  'image.tag=0.2.0-rc.1',
  '--set',
  'certs.validity=720h',
  '--set',
  'logLevel=debug',
  '--set',
  'shutdownDelayMs=8000',
  '--set',
  'shutdownTimeoutMs=30000',
  '--set',
  'terminationGracePeriodSeconds=45',
  '--set-json',
  'resources={"requests":{"cpu":"250m","memory":"200Mi"},"limits":{"memory":"400Mi"}}',
  '--set-json',
  'config={"defaultDeny":{"enabled":true,"allowDNS":true},"workloadCoverage":"deny","pipelines":[{"name":"billing","stages":[{"name":"ingest"},{"name":"report"}]}]}',
];

// helm's home (caches, the post-renderer) is shared by the three suites below and goes at the end of the run.
after(() => {
  if (helmHome) rmSync(helmHome, { recursive: true, force: true });
});

describe('e2e: the Helm chart renders what manifests/ applies', function () {
  before(function () {
    this.timeout(60 * 60 * 1000);
    helmHome = mkdtempSync(join(tmpdir(), 'stagewall-helm-'));
    kubectlBin = join(assetDir(), 'kubectl');
    helmBin = join(helmDir(), 'helm');
  });

  for (const [name, sets] of [
    ['default values', []],
    ['the non-default row', CUSTOM],
    ['cert-manager mode', ['--set', 'certs.mode=cert-manager']],
    ['namespace.create', ['--set', 'namespace.create=true']],
  ] as const) {
    it(`helm lint --strict passes with ${name}`, () => {
      const r = helm(['lint', '--strict', CHART, '--namespace', NAMESPACE, ...sets]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }

  it('helm template with default values renders the objects of kubectl kustomize manifests/ (the Namespace aside), object by object', () => {
    const expected = kustomize(join(ROOT, 'manifests')).filter((o) => o.kind !== 'Namespace');
    const chart = template();
    assert.ok(!chart.some((o) => o.kind === 'Namespace'), 'no Namespace by default: helm install --create-namespace makes it');
    assertSameObjects(chart, expected, 'default values');
  });

  it('with namespace.create=true the Namespace is rendered too, with its restricted Pod Security label', () => {
    assertSameObjects(template(['--set', 'namespace.create=true']), kustomize(join(ROOT, 'manifests')), 'namespace.create');
  });

  it('the comparison is strict: one verb, one flag, one selector value or one rule changed is a difference', () => {
    const chart = template();
    const expected = kustomize(join(ROOT, 'manifests')).filter((o) => o.kind !== 'Namespace');
    const drifts: [string, (objects: Obj[]) => void][] = [
      ['an RBAC verb', (o) => ((find(o, 'Role', 'stagewall-certs')['rules'] as { verbs: string[] }[])[0] as { verbs: string[] }).verbs.push('delete')],
      ['a flag', (o) => podSpecOf(o).containers[0]?.args.push('--shutdown-timeout=25000')],
      ['a selector value', (o) => webhooksOf(o)[0]?.namespaceSelector?.matchExpressions[1]?.values?.pop()],
      [
        'a webhook rule',
        (o) =>
          (
            (find(o, 'ValidatingWebhookConfiguration')['webhooks'] as { rules: { operations: string[] }[] }[])[2]?.rules[0] as { operations: string[] }
          ).operations.pop(),
      ],
      [
        'the config',
        (o) => {
          const d = find(o, 'ConfigMap', 'stagewall-config')['data'] as Record<string, string>;
          d['stagewall.yaml'] = (d['stagewall.yaml'] ?? '').replace('mode: audit', 'mode: enforce');
        },
      ],
    ];
    for (const [what, drift] of drifts) {
      const changed = structuredClone(chart);
      drift(changed);
      assert.throws(() => assertSameObjects(changed, expected, what), assert.AssertionError, `a drift in ${what} is caught`);
    }
  });

  it('certs.mode=cert-manager renders the objects of the cert-manager component, without the certificate RBAC that files mode does not use', () => {
    const dir = mkdtempSync(join(helmHome, 'overlay-'));
    cpSync(join(ROOT, 'manifests'), join(dir, 'base'), { recursive: true });
    mkdirSync(join(dir, 'overlay'));
    writeFileSync(join(dir, 'overlay', 'kustomization.yaml'), 'resources: [../base]\ncomponents: [../base/components/cert-manager]\n');
    const expected = kustomize(join(dir, 'overlay'))
      .filter((o) => o.kind !== 'Namespace')
      // The component leaves the managed-certificate RBAC in place; the chart grants it only with
      // certs.mode=managed (stagewall serving files needs no Secret or webhook-configuration access).
      .filter((o) => !(o.kind === 'Role' || o.kind === 'RoleBinding'))
      .map((o) => {
        // The component's own objects miss the base's labels (kustomize labels only the base); the
        // chart labels them like everything else it renders.
        if (o.apiVersion.startsWith('cert-manager.io/')) {
          assert.equal(o.metadata.labels, undefined);
          return { ...o, metadata: { ...o.metadata, labels: { 'app.kubernetes.io/name': 'stagewall', 'app.kubernetes.io/part-of': 'stagewall' } } };
        }
        if (o.kind !== 'ClusterRole') return o;
        const rules = (o['rules'] as { apiGroups: string[] }[]).filter((r) => !r.apiGroups.includes('admissionregistration.k8s.io'));
        assert.equal(rules.length, (o['rules'] as unknown[]).length - 1, 'the component grants the webhook-configuration rule');
        return { ...o, rules };
      });
    const chart = template(['--set', 'certs.mode=cert-manager']);
    assertSameObjects(chart, expected, 'cert-manager mode');
    assert.ok(
      webhooksOf(chart).every((w) => !(w.matchConditions ?? []).some((c) => c.name === 'stagewall-starting')),
      'no starting guard: nobody would remove it',
    );
  });

  it('default values: every webhook carries the starting guard, and the Deployment drains within its grace period', () => {
    const chart = template();
    const hooks = webhooksOf(chart);
    assert.equal(hooks.length, 7);
    for (const w of hooks) assert.equal(w.matchConditions?.[0]?.name, 'stagewall-starting', w.name);
    assertDrainFits(chart);
  });

  it('non-default values drive the namespaceSelector, the exemptions, the label conditions, the args and the config', () => {
    const chart = template(CUSTOM);
    const exempt = ['kube-system', 'kube-public', 'kube-node-lease', 'legacy-batch', NAMESPACE];
    const hooks = webhooksOf(chart);
    for (const w of hooks) {
      if (w.name === 'namespace-labels.validate.stagewall.dev') {
        assert.equal(w.namespaceSelector, undefined, 'matches on the old labels, not by selector');
        const conditions = Object.fromEntries((w.matchConditions ?? []).map((c) => [c.name, c.expression]));
        assert.equal(conditions['not-a-system-namespace'], `!(object.metadata.name in [${exempt.map((n) => `'${n}'`).join(', ')}])`);
        assert.match(conditions['pipeline-label-removed-or-changed'] ?? '', /'example\.com\/flow' in oldObject\.metadata\.labels/);
        assert.doesNotMatch(conditions['pipeline-label-removed-or-changed'] ?? '', /stagewall\.dev/);
        continue;
      }
      assert.deepEqual(
        w.namespaceSelector,
        {
          matchExpressions: [
            { key: 'example.com/flow', operator: 'Exists' },
            { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: exempt },
          ],
        },
        w.name,
      );
    }
    const container = podSpecOf(chart).containers[0];
    assert.deepEqual(container?.args, [
      'serve',
      '--config=/etc/stagewall/stagewall.yaml',
      '--manage-certs',
      '--cert-validity=720h',
      '--port=8443',
      '--metrics-port=9090',
      '--shutdown-delay=8000',
      '--shutdown-timeout=30000',
    ]);
    assert.equal(container?.image, 'ghcr.io/stagewall/stagewall:0.2.0-rc.1');
    assert.deepEqual(container?.resources, { requests: { cpu: '250m', memory: '200Mi' }, limits: { memory: '400Mi' } });
    assert.equal((find(chart, 'Deployment')['spec'] as { replicas: number }).replicas, 3);
    assertDrainFits(chart);
    const text = (find(chart, 'ConfigMap', 'stagewall-config')['data'] as Record<string, string>)['stagewall.yaml'] ?? '';
    const config = parseConfig(text, 'the rendered config');
    assert.equal(config.mode, 'enforce');
    assert.deepEqual(config.labels, { pipeline: 'example.com/flow', stage: 'example.com/step' });
    assert.deepEqual([...config.exemptNamespaces].sort(), [...exempt].sort());
    assert.equal(config.serviceAccount, 'system:serviceaccount:stagewall-system:stagewall');
    assert.equal(config.defaultDeny.enabled, true);
    assert.equal(config.workloadCoverage, 'deny');
    assert.deepEqual([...config.pipelines.keys()], ['billing']);
  });

  it('kube-system and the release namespace stay exempt even when the values leave them out', () => {
    const r = helm(['template', 'stagewall', CHART, '--namespace', 'guard-ns', '--set-json', 'exemptNamespaces=[]']);
    assert.equal(r.code, 0, r.stderr);
    const chart = parse(r.stdout);
    for (const w of webhooksOf(chart)) {
      const values = w.namespaceSelector?.matchExpressions.find((e) => e.key === 'kubernetes.io/metadata.name')?.values;
      if (w.namespaceSelector) assert.deepEqual(values, ['kube-system', 'guard-ns'], w.name);
      assert.ok(!w.clientConfig.service || w.clientConfig.service.namespace === 'guard-ns');
    }
    const config = parseConfig((find(chart, 'ConfigMap', 'stagewall-config')['data'] as Record<string, string>)['stagewall.yaml'] ?? '');
    assert.deepEqual([...config.exemptNamespaces], ['kube-system', 'guard-ns']);
    assert.equal(config.serviceAccount, 'system:serviceaccount:guard-ns:stagewall');
  });

  for (const [name, sets, message] of [
    [
      'a shutdown that outlasts the grace period',
      ['--set', 'shutdownDelayMs=15000', '--set', 'terminationGracePeriodSeconds=30'],
      /must fit in terminationGracePeriodSeconds/,
    ],
    ['config.mode (a top-level value)', ['--set', 'config.mode=enforce'], /invalid propertyName 'mode'/],
    ['a label key with a quote (it is spliced into CEL)', ['--set', "labels.pipeline=a'b"], /labels\.pipeline|pipeline/],
    ['an unknown cert mode', ['--set', 'certs.mode=vault'], /certs\.mode|mode/],
  ] as const) {
    it(`refuses to render ${name}`, () => {
      const r = helm(['template', 'stagewall', CHART, '--namespace', NAMESPACE, ...sets]);
      assert.notEqual(r.code, 0, `rendered: ${r.stdout.slice(0, 200)}`);
      assert.match(r.stderr, message);
    });
  }
});

describe('e2e: the Helm chart installed on a real kube-apiserver', function () {
  let cluster: Cluster;
  let stagewall: Stagewall;
  const LABEL = 'example.com/flow';
  const diagnostics = () => `\n--- stagewall:\n${stagewall?.tail() ?? ''}\n${cluster?.logs() ?? ''}`;

  function pod(namespace: string, name: string, labels: Record<string, string> = {}): string {
    return stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } });
  }

  before(async function () {
    this.timeout(60 * 60 * 1000);
    helmHome ||= mkdtempSync(join(tmpdir(), 'stagewall-helm-'));
    kubectlBin ||= join(assetDir(), 'kubectl');
    helmBin ||= join(helmDir(), 'helm');
    cluster = await Cluster.start();
  });

  after(async function () {
    this.timeout(60_000);
    if (stagewall?.pid !== undefined) await stagewall.stop();
    await cluster?.stop();
  });

  it(`helm template | kubectl apply, then stagewall with the chart's config and RBAC writes the bundle and refuses a pod without a stage label in a namespace labelled ${LABEL}`, async function () {
    this.timeout(5 * 60_000);
    const objects = template([
      '--set',
      `labels.pipeline=${LABEL}`,
      '--set',
      'mode=enforce',
      '--set',
      'namespace.create=true',
      '--set-json',
      'exemptNamespaces=["kube-public","kube-node-lease","legacy-batch"]',
    ]);
    const webhooks = objects.filter((o) => o.kind.endsWith('WebhookConfiguration'));
    const rest = objects.filter((o) => !o.kind.endsWith('WebhookConfiguration'));
    const config = (find(objects, 'ConfigMap', 'stagewall-config')['data'] as Record<string, string>)['stagewall.yaml'] ?? '';
    // stagewall runs out of cluster (no kubelet: the Deployment's pods never start), as the
    // chart's service account, reached by URL; everything else is applied as rendered.
    stagewall = new Stagewall(cluster, config, { name: 'stagewall-chart', manageCerts: ['--cert-dns=127.0.0.1'] });
    stagewall.port = await freePort();
    await cluster.must(['apply', '-f', '-'], rest.map((o) => stringify(o)).join('---\n'));
    // The namespaces first: once the webhooks exist, the guard refuses a pipeline namespace too.
    for (const [name, labels] of [
      ['flow-a', { [LABEL]: 'etl' }],
      ['default-key', { 'stagewall.dev/pipeline': 'etl' }],
      ['legacy-batch', { [LABEL]: 'etl' }],
    ] as const) {
      await cluster.must(['apply', '-f', '-'], stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }));
    }
    await cluster.must(['apply', '-f', '-'], stagewall.webhookConfigurations(false, webhooks.map((o) => stringify(o)).join('---\n')));
    const early = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], { input: pod('flow-a', 'early') });
    assert.match(early.stderr, /stagewall is starting/, 'the chart ships the starting guard');

    await stagewall.start();
    const guards = await waitUntil(
      'the bundle written and the guard removed',
      async () => {
        const text = await cluster.must(['get', 'validatingwebhookconfiguration,mutatingwebhookconfiguration', 'stagewall', '-o', 'json']);
        const hooks = (
          JSON.parse(text) as { items: { webhooks: { clientConfig: { caBundle?: string }; matchConditions?: { name: string }[] }[] }[] }
        ).items.flatMap((i) => i.webhooks);
        return hooks.length === 7 && hooks.every((h) => h.clientConfig.caBundle && !(h.matchConditions ?? []).some((c) => c.name === 'stagewall-starting'));
      },
      30_000,
      200,
    );
    process.stderr.write(`      bundle written and guard removed ${guards} ms after ready\n`);

    const refused = await cluster.kubectl(['apply', '-f', '-'], { input: pod('flow-a', 'no-stage') });
    assert.notEqual(refused.code, 0, 'refused' + diagnostics());
    assert.match(refused.stderr, /denied the request: \[stage-label-missing\] Pod flow-a\/no-stage/, refused.stderr + diagnostics());
    // The default key no longer scopes the webhooks: that namespace is not a pipeline namespace here.
    const outOfScope = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], { input: pod('default-key', 'no-stage') });
    assert.equal(outOfScope.code, 0, outOfScope.stderr);
    // An exempt namespace from the values is never judged, whatever its labels say.
    const exempt = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], { input: pod('legacy-batch', 'no-stage') });
    assert.equal(exempt.code, 0, exempt.stderr);
  });
});

describe('e2e: helm install, upgrade and uninstall on a real kube-apiserver', function () {
  let cluster: Cluster;
  let stagewall: Stagewall;
  let postRenderer = '';
  const diagnostics = () => `\n--- stagewall:\n${stagewall?.tail() ?? ''}\n${cluster?.logs() ?? ''}`;

  /** helm as the cluster's admin, with the post-renderer that points the webhooks at stagewall by URL. */
  function helmOn(args: readonly string[]): { code: number; stdout: string; stderr: string } {
    return helm([...args, `--kubeconfig=${cluster.kubeconfig('admin')}`, '--namespace', NAMESPACE]);
  }

  async function webhookState(): Promise<{ bundles: string[]; guards: number; urls: string[] }> {
    const text = await cluster.must(['get', 'validatingwebhookconfiguration,mutatingwebhookconfiguration', 'stagewall', '-o', 'json']);
    const hooks = (
      JSON.parse(text) as { items: { webhooks: { clientConfig: { caBundle?: string; url?: string }; matchConditions?: { name: string }[] }[] }[] }
    ).items.flatMap((i) => i.webhooks);
    return {
      bundles: hooks.map((h) => h.clientConfig.caBundle ?? ''),
      guards: hooks.filter((h) => (h.matchConditions ?? []).some((c) => c.name === 'stagewall-starting')).length,
      urls: hooks.map((h) => h.clientConfig.url ?? ''),
    };
  }

  before(async function () {
    this.timeout(60 * 60 * 1000);
    helmHome ||= mkdtempSync(join(tmpdir(), 'stagewall-helm-'));
    kubectlBin ||= join(assetDir(), 'kubectl');
    helmBin ||= join(helmDir(), 'helm');
    cluster = await Cluster.start();
    stagewall = new Stagewall(cluster, '', { name: 'stagewall-helm', manageCerts: ['--cert-dns=127.0.0.1'] });
    stagewall.port = await freePort();
    // helm's post-renderer: the rendered objects on stdin, the webhooks pointed at 127.0.0.1 on stdout.
    const script = join(helmHome, 'point-webhooks.mjs');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
const { parseAllDocuments, stringify } = createRequire(${JSON.stringify(join(ROOT, 'package.json'))})('yaml');
let text = '';
for await (const chunk of process.stdin) text += chunk;
const docs = parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d);
for (const d of docs) for (const w of d.webhooks ?? []) w.clientConfig = { url: 'https://127.0.0.1:${stagewall.port}' + w.clientConfig.service.path };
process.stdout.write(docs.map((d) => stringify(d)).join('---\\n'));
`,
    );
    postRenderer = join(helmHome, 'point-webhooks');
    writeFileSync(postRenderer, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)}\n`);
    chmodSync(postRenderer, 0o755);
  });

  after(async function () {
    this.timeout(60_000);
    if (stagewall?.pid !== undefined) await stagewall.stop();
    await cluster?.stop();
  });

  it('helm install --create-namespace works without a kubelet; the upgrade keeps the bundle, its guard is removed again, and uninstall leaves no webhook', async function () {
    this.timeout(5 * 60_000);
    const LABEL = 'example.com/flow';
    const values = ['--set', `labels.pipeline=${LABEL}`, '--set', 'mode=enforce', '--post-renderer', postRenderer];
    await cluster.must(['apply', '-f', '-'], stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flow-a', labels: { [LABEL]: 'etl' } } }));
    const install = helmOn(['install', 'stagewall', CHART, '--create-namespace', ...values]);
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, /STATUS: deployed/);
    assert.equal((await webhookState()).guards, 7, 'installed with the starting guard');

    const rendered = await cluster.must(['get', 'configmap', 'stagewall-config', '-n', NAMESPACE, '-o', 'jsonpath={.data.stagewall\\.yaml}']);
    writeFileSync(stagewall.configPath, rendered);
    await stagewall.start();
    await waitUntil(
      'the bundle written',
      async () => {
        const state = await webhookState();
        return state.guards === 0 && state.bundles.every((b) => b !== '');
      },
      30_000,
      200,
    );
    const bundles = (await webhookState()).bundles;
    const refused = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], {
      input: stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'no-stage', namespace: 'flow-a' },
        spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
      }),
    });
    assert.match(refused.stderr, /\[stage-label-missing\] Pod flow-a\/no-stage/, refused.stderr + diagnostics());

    const upgrade = helmOn(['upgrade', 'stagewall', CHART, ...values, '--set', 'replicas=3']);
    assert.equal(upgrade.code, 0, upgrade.stderr);
    const after = await webhookState();
    assert.deepEqual(after.bundles, bundles, 'the upgrade left every caBundle as stagewall wrote it');
    const ms = await waitUntil('no starting guard after the upgrade', async () => (await webhookState()).guards === 0, 20_000, 200);
    process.stderr.write(`      after the upgrade: ${after.guards} webhooks guarded, none ${ms} ms later\n`);
    assert.equal(await cluster.must(['get', 'deployment', 'stagewall', '-n', NAMESPACE, '-o', 'jsonpath={.spec.replicas}']), '3');

    await cluster.must(['delete', 'validatingwebhookconfiguration,mutatingwebhookconfiguration', 'stagewall']);
    const uninstall = helmOn(['uninstall', 'stagewall']);
    assert.equal(uninstall.code, 0, uninstall.stderr);
    const left = await cluster.kubectl(['get', 'deployment,configmap,serviceaccount,role', '-n', NAMESPACE, '-o', 'name']);
    assert.equal(
      left.stdout
        .split('\n')
        .filter((l) => l && !l.includes('kube-root-ca'))
        .join(' '),
      '',
      'nothing of the release left in its namespace',
    );
    const cluster_ = await cluster.kubectl(['get', 'clusterrole', 'stagewall']);
    assert.notEqual(cluster_.code, 0, 'the ClusterRole went with the release');
  });
});
