// npm run bench:apiserver [-- --seconds S --rounds N --concurrency 1,8,32 --modes create,dryrun
//   --scenarios none,vap,stagewall,kyverno,kyverno-coverage --policies 300]
// What a user pays per `kubectl apply`: Pod creates through one real kube-apiserver (the e2e
// harness's etcd and kube-apiserver v1.36.3) with no admission, a ValidatingAdmissionPolicy,
// stagewall (manifests/webhooks.yaml by URL, enforce) and, when bench/peers/build.sh can build
// it, Kyverno. Scenarios take turns in every round, so that a noisy neighbour hits them alike.
// Writes bench/apiserver.json ({settings, results, skipped}) and prints the table with ratios.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Cluster, ROOT, Stagewall, waitUntil } from '../test/e2e/harness.js';
import { MODES, refusal, SCENARIOS, summarise, table, type BenchFile, type Mode, type Round, type Scenario } from './apiserver-results.js';
import { largeSet, toYaml } from './fixtures.js';
import { cpuSeconds } from './proc-stat.js';
import { startKyverno, type Kyverno } from './peers/kyverno.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
};
const seconds = Number(option('--seconds', '20'));
const rounds = Number(option('--rounds', '2'));
const concurrencies = option('--concurrency', '1,8,32').split(',').map(Number);
const modes = option('--modes', MODES.join(',')).split(',') as Mode[];
const wanted = option('--scenarios', SCENARIOS.join(',')).split(',') as Scenario[];
const policyCount = Number(option('--policies', '300'));
const out = option('--out', join(ROOT, 'bench/apiserver.json'));
for (const s of wanted) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (one of ${SCENARIOS.join(', ')})`);

/**
 * Two CPUs: the load generator (this process) on CPU 0; kube-apiserver, etcd and the webhook on
 * CPU 1. The server side, everything a cluster spends on an apply, gets one fixed core and the
 * client never steals from it, so what a webhook costs shows as throughput lost on that core.
 */
/** Read before this process pins itself to one CPU, after which availableParallelism() says 1. */
const CPUS = availableParallelism();
const PIN = CPUS >= 2 && spawnSync('taskset', ['-V']).status === 0;
function pin(pid: number | undefined, cpu: number): void {
  if (PIN && pid !== undefined) spawnSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
}
const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

// The pipeline namespace: one stage, `policyCount` NetworkPolicies (the managed pair, the stage
// policy and narrower per-app ones), as bench/fixtures.ts builds them for `npm run bench`.
const set = largeSet({ namespaces: 1, policiesPerNamespace: policyCount, podsPerNamespace: 0, stages: 1 });
const namespace = (set.objects[0] as { metadata: { name: string } }).metadata.name;
const pipeline = (set.configDocument.pipelines as { name: string; stages: { name: string }[] }[])[0]!;
const stage = pipeline.stages[0]!.name;

const VAP_NAME = 'stagewall-bench-stage-label';
const VAP = stringify({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: VAP_NAME },
  spec: {
    failurePolicy: 'Fail',
    matchConstraints: {
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }],
      namespaceSelector: { matchExpressions: [{ key: 'stagewall.dev/pipeline', operator: 'Exists' }] },
    },
    validations: [
      {
        expression: "has(object.metadata.labels) && 'stagewall.dev/stage' in object.metadata.labels",
        message: 'a pod in a pipeline namespace needs the label stagewall.dev/stage',
      },
    ],
  },
});
const VAP_BINDING = stringify({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name: VAP_NAME },
  spec: { policyName: VAP_NAME, validationActions: ['Deny'] },
});

function podBody(good: boolean, name: string): string {
  const labels: Record<string, string> = good ? { 'stagewall.dev/stage': stage, app: 'app5' } : { app: 'app5' };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
  });
}

interface Api {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly ca: Buffer;
}

type Verdict = 'admitted' | 'refused' | 'error';
/** One request over the given keep-alive agent; 2xx is admitted, a refusal (see refusal()) refused, anything else an error. */
function send(api: Api, agent: Agent, method: string, path: string, body?: string): Promise<{ verdict: Verdict; status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: api.host,
        port: api.port,
        method,
        path,
        agent,
        ca: api.ca,
        headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString();
          const verdict: Verdict = status >= 200 && status < 300 ? 'admitted' : refusal(status, text) ? 'refused' : 'error';
          resolve({ verdict, status, text });
        });
        res.on('error', () => resolve({ verdict: 'error', status: 0, text: '' }));
      },
    );
    req.on('error', (err) => resolve({ verdict: 'error', status: 0, text: err.message }));
    req.end(body);
  });
}

const podsPath = (mode: Mode) => `/api/v1/namespaces/${namespace}/pods${mode === 'dryrun' ? '?dryRun=All' : ''}`;
/** none admits every pod; every other scenario refuses the pods without the stage label. */
const expected = (scenario: Scenario, good: boolean): Verdict => (good || scenario === 'none' ? 'admitted' : 'refused');

let roundId = 0;
async function loadRound(api: Api, scenario: Scenario, mode: Mode, concurrency: number, webhookPid: number | undefined): Promise<Round> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const id = (roundId += 1);
  const latencies: number[] = [];
  let wrong = 0;
  let errors = 0;
  let sent = 0;
  const firstErrors: string[] = [];
  const cpuBefore = webhookPid === undefined ? null : cpuSeconds(webhookPid);
  const started = performance.now();
  const end = started + seconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const i = (sent += 1);
      const good = i % 2 === 0;
      const t = performance.now();
      const r = await send(api, agent, 'POST', podsPath(mode), podBody(good, `r${id}-${i}`));
      latencies.push(performance.now() - t);
      if (r.verdict === 'error') {
        errors += 1;
        if (firstErrors.length < 3) firstErrors.push(`${r.status} ${r.text.slice(0, 200)}`);
      } else if (r.verdict !== expected(scenario, good)) wrong += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const elapsed = (performance.now() - started) / 1000;
  const webhook_cpu_s = cpuBefore === null ? null : cpuSeconds(webhookPid as number) - cpuBefore;
  agent.destroy();
  if (firstErrors.length > 0) log(`${scenario} ${mode} c=${concurrency}: ${errors} errors, first: ${firstErrors.join(' | ')}`);
  // Created pods stay Pending (no scheduler); remove them so that every round starts alike.
  if (mode === 'create') await send(api, new Agent({ keepAlive: false }), 'DELETE', `/api/v1/namespaces/${namespace}/pods`);
  return { scenario, mode, concurrency, seconds: elapsed, latencies_ms: latencies, wrong, errors, webhook_cpu_s };
}

async function main(): Promise<void> {
  pin(process.pid, 0);
  const startedAt = new Date();
  const cluster = await Cluster.start();
  const skipped: BenchFile['skipped'] = {};
  let stagewall: Stagewall | undefined;
  let kyverno: Kyverno | undefined;
  try {
    const pids = cluster.pids();
    pin(pids.apiserver, 1);
    pin(pids.etcd, 1);
    await cluster.must(['apply', '-f', `${ROOT}/manifests/namespace.yaml`, '-f', `${ROOT}/manifests/serviceaccount.yaml`, '-f', `${ROOT}/manifests/rbac.yaml`]);
    await cluster.must(['apply', '-f', '-'], toYaml(set.objects));
    await cluster.must(['apply', '-f', '-'], VAP);
    const kubeconfig = parse(readFileSync(cluster.kubeconfig('admin'), 'utf8')) as { users: { user: { token: string } }[] };
    const url = new URL(cluster.server);
    const api: Api = { host: url.hostname, port: Number(url.port), token: kubeconfig.users[0]!.user.token, ca: readFileSync(join(cluster.work, 'ca.crt')) };

    const scenarios: Scenario[] = [];
    const webhookPids = new Map<Scenario, number | undefined>();
    for (const s of wanted) if (s === 'none' || s === 'vap') scenarios.push(s);
    let stagewallHooks = '';
    if (wanted.includes('stagewall')) {
      stagewall = new Stagewall(cluster, stringify({ ...set.configDocument, mode: 'enforce' }), { logLevel: 'info' });
      await stagewall.start();
      pin(stagewall.pid, 1);
      stagewallHooks = stagewall.webhookConfigurations();
      scenarios.push('stagewall');
      webhookPids.set('stagewall', stagewall.pid);
    }
    const kyvernoWanted = wanted.filter((s): s is 'kyverno' | 'kyverno-coverage' => s === 'kyverno' || s === 'kyverno-coverage');
    if (kyvernoWanted.length > 0) {
      const started = await startKyverno(cluster, { namespace, stage, pipelineLabel: 'stagewall.dev/pipeline', log });
      if ('skipped' in started) {
        for (const s of kyvernoWanted) skipped[s] = started.skipped;
      } else {
        kyverno = started;
        pin(kyverno.pid, 1);
        for (const s of kyvernoWanted) {
          if (kyverno.policies[s]) {
            scenarios.push(s);
            webhookPids.set(s, kyverno.pid);
          } else skipped[s] = kyverno.unsupported[s] ?? 'no policy';
        }
      }
    }

    const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    /** Registers what `scenario` needs and removes the rest, then waits until the API server answers as it should. */
    const activate = async (scenario: Scenario) => {
      if (scenario !== 'stagewall' && stagewallHooks)
        await cluster.must(['delete', '--ignore-not-found', 'validatingwebhookconfiguration/stagewall', 'mutatingwebhookconfiguration/stagewall']);
      if (scenario !== 'vap') await cluster.must(['delete', '--ignore-not-found', `validatingadmissionpolicybinding/${VAP_NAME}`]);
      if (kyverno) await kyverno.activate(scenario === 'kyverno' || scenario === 'kyverno-coverage' ? scenario : undefined);
      if (scenario === 'stagewall') await cluster.must(['apply', '-f', '-'], stagewallHooks);
      if (scenario === 'vap') await cluster.must(['apply', '-f', '-'], VAP_BINDING);
      let streak = 0;
      let last = '';
      try {
        await waitUntil(
          `the API server to answer as ${scenario}`,
          async () => {
            const bad = await send(api, probeAgent, 'POST', podsPath('dryrun'), podBody(false, 'probe-bad'));
            const good = await send(api, probeAgent, 'POST', podsPath('dryrun'), podBody(true, 'probe-good'));
            last = `unlabelled pod: ${bad.status} ${bad.text.slice(0, 300)}; labelled pod: ${good.status} ${good.text.slice(0, 300)}`;
            streak = bad.verdict === expected(scenario, false) && good.verdict === 'admitted' ? streak + 1 : 0;
            return streak >= 5; // one API server, but its webhook and policy informers settle a moment after the write
          },
          60_000,
          100,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; the last answers: ${last}`, { cause: err });
      }
    };

    // Warm-up: every scenario once, short, not measured (JIT, TLS sessions, informer caches).
    for (const s of [...scenarios]) {
      try {
        await activate(s);
      } catch (err) {
        if (s !== 'kyverno' && s !== 'kyverno-coverage') throw err;
        skipped[s] = `kyverno ran, but ${(err as Error).message} (a pod without the stage label was not refused)`;
        scenarios.splice(scenarios.indexOf(s), 1);
        await kyverno?.activate(undefined);
        continue;
      }
      await loadRound(api, s, 'dryrun', 8, undefined);
    }
    const measured: Round[] = [];
    const cells = rounds * modes.length * concurrencies.length * scenarios.length;
    log(
      `${scenarios.join(', ')}; ${modes.join(', ')}; ${concurrencies.join('/')} clients; ${rounds} rounds of ${seconds} s: ${cells} rounds, about ${Math.ceil((cells * (seconds + 3)) / 60)} min`,
    );
    for (let round = 0; round < rounds; round += 1) {
      for (const mode of modes) {
        for (const concurrency of concurrencies) {
          for (const scenario of round % 2 === 0 ? scenarios : [...scenarios].reverse()) {
            await activate(scenario);
            const r = await loadRound(api, scenario, mode, concurrency, webhookPids.get(scenario));
            log(
              `round ${round + 1}/${rounds} ${mode} c=${concurrency} ${scenario}: ${(r.latencies_ms.length / r.seconds).toFixed(0)} req/s, wrong ${r.wrong}, errors ${r.errors}`,
            );
            measured.push(r);
          }
        }
      }
    }
    probeAgent.destroy();

    const results = summarise(measured);
    const file: BenchFile = {
      settings: {
        seconds_per_round: seconds,
        rounds,
        concurrency: concurrencies,
        modes,
        scenarios,
        workload: `Pod creates in pipeline namespace ${namespace} holding ${set.policies} NetworkPolicies; every second pod lacks the stage label and must be refused`,
        webhook_cpu:
          'utime+stime of the webhook process (/proc/<pid>/stat) over its rounds, per 1,000 pod creates sent (stagewall gets a validate and a mutate call per pod)',
        pinned: PIN ? 'load generator on CPU 0; kube-apiserver, etcd and the webhook on CPU 1' : false,
        kubernetes: 'v1.36.3',
        node: process.version,
        cpus: CPUS,
        date: startedAt.toISOString(),
        ...(seconds < 20 ? { note: `short run (${seconds} s per round): a smoke test, not the full benchmark` } : {}),
      },
      results,
      skipped,
    };
    writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
    console.log(table(results));
    for (const [s, why] of Object.entries(skipped)) console.log(`skipped ${s}: ${why}`);
    const bad = results.filter((r) => r.wrong > 0 || r.errors > 0);
    if (bad.length > 0) console.log(`NOT CLEAN: wrong verdicts or errors in ${bad.map((r) => `${r.scenario}/${r.mode}/${r.concurrency}`).join(', ')}`);
    console.log(`wrote ${out}`);
    if (bad.length > 0) process.exitCode = 1;
  } finally {
    await kyverno?.stop();
    await stagewall?.stop();
    await cluster.stop();
  }
}

await main();
