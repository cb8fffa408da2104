// Kyverno as a peer in bench/apiserver.ts: the binary bench/peers/build.sh built (never built
// from here: a cold build takes tens of minutes), run outside the cluster against the harness's
// API server, with its CRDs from the module cache. Two CEL ValidatingPolicies: `kyverno`, the
// stage-label rule of the `vap` scenario, and `kyverno-coverage`, that rule plus stagewall's
// ingress/egress coverage through resource.List(). Anything that keeps it from running is
// returned as the reason to skip, with the evidence (the error lines), never thrown.
//
// What kept it from refusing before (found 2026-12-01): (1) Kyverno denies with HTTP 400, which
// the bench counted as an error, not a refusal; (2) it registers its webhooks before its
// certificate controller writes the serving pair, so a policy applied at once fails with
// "tls: internal error" (its log: secret "...-tls-pair" not found); (3) with its log piped
// through this process it died of SIGPIPE when this process did. See docs/performance.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, ROOT, waitUntil, type Cluster } from '../../test/e2e/harness.js';

export type KyvernoScenario = 'kyverno' | 'kyverno-coverage';

export interface Kyverno {
  readonly pid: number | undefined;
  /** The scenarios it has a policy for. */
  readonly policies: Partial<Record<KyvernoScenario, string>>;
  readonly unsupported: Partial<Record<KyvernoScenario, string>>;
  /** Applies the scenario's policy, removing the others (undefined: none of them). */
  activate(scenario: KyvernoScenario | undefined): Promise<void>;
  stop(): Promise<void>;
}

interface Options {
  readonly namespace: string;
  readonly stage: string;
  readonly pipelineLabel: string;
  readonly log: (m: string) => void;
}

const POLICY_NAME = 'stagewall-bench-stage-label';
const COVERAGE_POLICY_NAME = 'stagewall-bench-coverage';
const BARE_NAMESPACE = 'stagewall-bench-bare';
const TLS_SECRET = 'kyverno-svc.kyverno.svc.kyverno-tls-pair';

function stageLabelPolicy(pipelineLabel: string): string {
  return stringify({
    apiVersion: 'policies.kyverno.io/v1',
    kind: 'ValidatingPolicy',
    metadata: { name: POLICY_NAME },
    spec: {
      validationActions: ['Deny'],
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }],
        namespaceSelector: { matchExpressions: [{ key: pipelineLabel, operator: 'Exists' }] },
      },
      validations: [STAGE_LABEL_RULE],
    },
  });
}

const STAGE_LABEL_RULE = {
  expression: "has(object.metadata.labels) && 'stagewall.dev/stage' in object.metadata.labels",
  message: 'a pod in a pipeline namespace needs the label stagewall.dev/stage',
};

// A label selector in CEL over the pod's labels (matchLabels and the four matchExpressions
// operators); an empty selector selects every pod, as in Kubernetes.
const SELECTS = (sel: string) =>
  `(!has(${sel}.matchLabels) || ${sel}.matchLabels.all(k, k in variables.podLabels && variables.podLabels[k] == ${sel}.matchLabels[k])) && ` +
  `(!has(${sel}.matchExpressions) || ${sel}.matchExpressions.all(e, e.operator == 'In' ? (e.key in variables.podLabels && variables.podLabels[e.key] in e.values) : ` +
  `e.operator == 'NotIn' ? !(e.key in variables.podLabels && variables.podLabels[e.key] in e.values) : e.operator == 'Exists' ? e.key in variables.podLabels : !(e.key in variables.podLabels)))`;

/**
 * kyverno-coverage: the stage-label rule plus stagewall's ingress-uncovered and egress-uncovered
 * (SPEC: covered when a NetworkPolicy of the namespace selects the pod and the direction is in its
 * defaulted policyTypes). resource.List() is a live LIST of the namespace's NetworkPolicies from
 * the API server on every admission: Kyverno's CEL library has no informer-backed lookup.
 */
function coveragePolicy(pipelineLabel: string): string {
  return stringify({
    apiVersion: 'policies.kyverno.io/v1',
    kind: 'ValidatingPolicy',
    metadata: { name: COVERAGE_POLICY_NAME },
    spec: {
      validationActions: ['Deny'],
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }],
        namespaceSelector: { matchExpressions: [{ key: pipelineLabel, operator: 'Exists' }] },
      },
      variables: [
        { name: 'podLabels', expression: 'has(object.metadata.labels) ? object.metadata.labels : {}' },
        {
          name: 'selecting',
          expression: `dyn(resource.List('networking.k8s.io/v1', 'networkpolicies', object.metadata.namespace).items).filter(p, ${SELECTS('p.spec.podSelector')})`,
        },
      ],
      validations: [
        STAGE_LABEL_RULE,
        {
          expression: "variables.selecting.exists(p, !has(p.spec.policyTypes) || 'Ingress' in p.spec.policyTypes)",
          message: 'ingress-uncovered: no NetworkPolicy of the namespace selects the pod for Ingress',
        },
        {
          expression: "variables.selecting.exists(p, has(p.spec.policyTypes) ? 'Egress' in p.spec.policyTypes : has(p.spec.egress))",
          message: 'egress-uncovered: no NetworkPolicy of the namespace selects the pod for Egress',
        },
      ],
    },
  });
}

/** The cached binary, or why there is none (build.sh --cached never builds). */
function cachedBinary(): { bin: string } | { skipped: string } {
  const r = spawnSync('bash', [join(ROOT, 'bench/peers/build.sh'), 'kyverno', '--cached'], { encoding: 'utf8' });
  const bin = r.stdout.trim();
  if (r.status === 0 && bin && existsSync(bin)) return { bin };
  return { skipped: `no kyverno binary: bench/peers/build.sh kyverno --cached exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` };
}

const tailOf = (file: string, n = 12) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n') : '');

export async function startKyverno(cluster: Cluster, options: Options): Promise<Kyverno | { skipped: string }> {
  const found = cachedBinary();
  if ('skipped' in found) return found;
  const module = (
    spawnSync('go', ['list', '-m', '-f', '{{.Dir}}', 'github.com/kyverno/kyverno'], {
      cwd: join(ROOT, 'bench/peers/kyverno'),
      encoding: 'utf8',
      env: { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=readonly' },
    }).stdout ?? ''
  ).trim();
  if (!module || !existsSync(join(module, 'config/crds')))
    return { skipped: `kyverno's config/crds not found in the Go module cache (go list -m gave '${module}')` };
  const crds = await cluster.kubectl(['apply', '--server-side', '-R', '-f', join(module, 'config/crds')]);
  if (crds.code !== 0) return { skipped: `kyverno's CRDs do not apply: ${crds.stderr.trim().split('\n').slice(-3).join(' / ')}` };
  await cluster.kubectl(['create', 'namespace', 'kyverno']);
  await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/validatingpolicies.policies.kyverno.io']);

  const port = await freePort();
  const logFile = join(cluster.work, 'kyverno.log');
  // Its log goes straight to a file: through a pipe, Kyverno dies of SIGPIPE when this process does.
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    found.bin,
    [
      `--kubeconfig=${cluster.kubeconfig('admin')}`,
      `--serverIP=127.0.0.1:${port}`,
      '--webhookServerHost=127.0.0.1',
      `--webhookServerPort=${port}`,
      '--caSecretName=kyverno-svc.kyverno.svc.kyverno-tls-ca',
      `--tlsSecretName=${TLS_SECRET}`,
      '--admissionReports=false',
      '--enableReporting=',
      '--disableMetrics=true',
      '--loggingFormat=text',
    ],
    {
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        KYVERNO_NAMESPACE: 'kyverno',
        KYVERNO_POD_NAME: 'kyverno-bench',
        KYVERNO_SERVICEACCOUNT_NAME: 'kyverno',
        KYVERNO_DEPLOYMENT: 'kyverno',
        INIT_CONFIG: 'kyverno',
        METRICS_CONFIG: 'kyverno-metrics',
      },
    },
  );
  closeSync(out);
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = async () => {
    if (exited) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };
  try {
    // waitUntil retries on a throw, so an exit ends the wait by answering true and is checked after.
    await waitUntil(
      'kyverno webhook configurations',
      async () => {
        if (exited) return true;
        const r = await cluster.kubectl(['get', 'validatingwebhookconfigurations', '-o', 'name']);
        if (!/kyverno-resource-validating-webhook-cfg/.test(r.stdout)) return false;
        // Kyverno registers its webhooks before its certificate controller has written the serving
        // pair; until then every handshake fails ("tls: internal error", its log: secret ... not found).
        return (await cluster.kubectl(['get', '-n', 'kyverno', `secret/${TLS_SECRET}`])).code === 0;
      },
      180_000,
      1000,
    );
    if (exited) throw new Error('kyverno exited');
  } catch (err) {
    await stop();
    return { skipped: `kyverno did not come up (${(err as Error).message}); its log ends:\n${tailOf(logFile)}` };
  }
  options.log(`kyverno running (pid ${child.pid}) on 127.0.0.1:${port}`);
  const policies = { kyverno: stageLabelPolicy(options.pipelineLabel), 'kyverno-coverage': coveragePolicy(options.pipelineLabel) };
  const names = { kyverno: POLICY_NAME, 'kyverno-coverage': COVERAGE_POLICY_NAME };
  let coverageChecked = false;
  return {
    pid: child.pid,
    policies,
    unsupported: {},
    async activate(scenario) {
      for (const s of ['kyverno', 'kyverno-coverage'] as const) {
        if (s !== scenario) await cluster.must(['delete', '--ignore-not-found', `validatingpolicies.policies.kyverno.io/${names[s]}`]);
      }
      if (scenario) await cluster.must(['apply', '-f', '-'], policies[scenario]);
      // Kyverno serves each ValidatingPolicy at /vpol/<name> and rewrites its webhook configuration
      // a moment after the change: wait until it calls exactly the wanted policy (or none), so that
      // no round runs with the previous scenario's webhook still registered.
      const want = scenario ? `/vpol/${names[scenario]}` : '';
      await waitUntil(
        `kyverno's webhook to call ${want || 'no policy'}`,
        async () => {
          const r = await cluster.kubectl([
            'get',
            'validatingwebhookconfiguration',
            'kyverno-resource-validating-webhook-cfg',
            '-o',
            'jsonpath={.webhooks[*].clientConfig.url}',
          ]);
          const paths = r.stdout
            .split(/\s+/)
            .filter(Boolean)
            .map((u) => new URL(u).pathname);
          return r.code === 0 && paths.join(' ') === want;
        },
        120_000,
        250,
      );
      if (scenario === 'kyverno-coverage' && !coverageChecked) {
        // The workload's pods are all covered (the managed default-deny selects every pod), so
        // prove once that the coverage rules can refuse: a labelled pod in a pipeline namespace
        // with no NetworkPolicy at all must be refused as ingress-uncovered.
        await cluster.kubectl(['create', 'namespace', BARE_NAMESPACE]);
        await cluster.must(['label', '--overwrite', 'namespace', BARE_NAMESPACE, `${options.pipelineLabel}=bench-bare`]);
        const pod = JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'uncovered', namespace: BARE_NAMESPACE, labels: { 'stagewall.dev/stage': options.stage } },
          spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
        });
        const r = await cluster.kubectl(['create', '--dry-run=server', '-f', '-'], { input: pod });
        if (r.code === 0 || !/ingress-uncovered/.test(r.stderr))
          throw new Error(`kyverno-coverage admitted or misjudged an uncovered pod: ${r.code} ${r.stderr.trim()}`);
        coverageChecked = true;
      }
    },
    stop,
  };
}
