// Kyverno as a peer in bench/apiserver.ts: the binary bench/peers/build.sh built (never built
// from here: a cold build takes tens of minutes), run outside the cluster against the harness's
// API server, with its CRDs from the module cache and a CEL ValidatingPolicy with the same
// stage-label rule as the `vap` scenario. Anything that keeps it from running is returned as the
// reason to skip, with the evidence (the error lines), never thrown.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
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
      validations: [{ expression: "has(object.metadata.labels) && 'stagewall.dev/stage' in object.metadata.labels", message: 'a pod in a pipeline namespace needs the label stagewall.dev/stage' }],
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
  const module = (spawnSync('go', ['list', '-m', '-f', '{{.Dir}}', 'github.com/kyverno/kyverno'], { cwd: join(ROOT, 'bench/peers/kyverno'), encoding: 'utf8', env: { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=readonly' } }).stdout ?? '').trim();
  if (!module || !existsSync(join(module, 'config/crds'))) return { skipped: `kyverno's config/crds not found in the Go module cache (go list -m gave '${module}')` };
  const crds = await cluster.kubectl(['apply', '--server-side', '-R', '-f', join(module, 'config/crds')]);
  if (crds.code !== 0) return { skipped: `kyverno's CRDs do not apply: ${crds.stderr.trim().split('\n').slice(-3).join(' / ')}` };
  await cluster.kubectl(['create', 'namespace', 'kyverno']);
  await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/validatingpolicies.policies.kyverno.io']);

  const port = await freePort();
  const logFile = join(cluster.work, 'kyverno.log');
  const out = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn(found.bin, [
    `--kubeconfig=${cluster.kubeconfig('admin')}`,
    `--serverIP=127.0.0.1:${port}`,
    '--webhookServerHost=127.0.0.1',
    `--webhookServerPort=${port}`,
    '--caSecretName=kyverno-svc.kyverno.svc.kyverno-tls-ca',
    '--tlsSecretName=kyverno-svc.kyverno.svc.kyverno-tls-pair',
    '--admissionReports=false',
    '--enableReporting=',
    '--disableMetrics=true',
    '--loggingFormat=text',
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KYVERNO_NAMESPACE: 'kyverno', KYVERNO_POD_NAME: 'kyverno-bench', KYVERNO_SERVICEACCOUNT_NAME: 'kyverno', KYVERNO_DEPLOYMENT: 'kyverno', INIT_CONFIG: 'kyverno', METRICS_CONFIG: 'kyverno-metrics' } });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
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
    await waitUntil('kyverno webhook configurations', async () => {
      if (exited) return true;
      const r = await cluster.kubectl(['get', 'validatingwebhookconfigurations', '-o', 'name']);
      return /kyverno-resource-validating-webhook-cfg/.test(r.stdout);
    }, 180_000, 1000);
    if (exited) throw new Error('kyverno exited');
  } catch (err) {
    await stop();
    return { skipped: `kyverno did not come up (${(err as Error).message}); its log ends:\n${tailOf(logFile)}` };
  }
  options.log(`kyverno running (pid ${child.pid}) on 127.0.0.1:${port}`);
  const policy = stageLabelPolicy(options.pipelineLabel);
  return {
    pid: child.pid,
    policies: { kyverno: policy },
    unsupported: { 'kyverno-coverage': 'not attempted: a resource.List() coverage policy did not fit in the time box of issue 14' },
    async activate(scenario) {
      if (scenario === 'kyverno') await cluster.must(['apply', '-f', '-'], policy);
      else await cluster.must(['delete', '--ignore-not-found', `validatingpolicies.policies.kyverno.io/${POLICY_NAME}`]);
    },
    stop,
  };
}
