// Benchmark: `stagewall connectivity` on 1,000 workloads and 1,000 NetworkPolicies (issue 15).
// Run: npm run bench:connectivity [-- --namespaces 50 --workloads 20 --policies 20]. Times the
// engine alone and the real CLI on the generated file, and writes bench/connectivity-last.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectivityReport } from '../src/cli/connectivity.js';
import type { KubeObject } from '../src/engine/types.js';
import { parseManifests } from '../src/manifests/load.js';
import { toYaml } from './fixtures.js';

/**
 * `namespaces` namespaces, each with `workloads` Deployments (app: wN, tier: tN%4, named port
 * http on 8080 + N) and `policies` policies: each selects one app, admits its tier from its own
 * namespace and the next namespace's tier, on http and a range, and sends to the next tier and to
 * an ipBlock with an except.
 */
export function connectivityWorld(namespaces: number, workloads: number, policies: number): KubeObject[] {
  const objects: KubeObject[] = [];
  for (let n = 0; n < namespaces; n += 1) {
    const ns = `team-${n}`;
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: `t${n % 5}` } } });
    for (let w = 0; w < workloads; w += 1) {
      objects.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `w${w}`, namespace: ns },
        spec: {
          template: {
            metadata: { labels: { app: `w${w}`, tier: `t${w % 4}` } },
            spec: { containers: [{ name: 'c', image: 'i', ports: [{ name: 'http', containerPort: 8080 + w }] }] },
          },
        },
      });
    }
    for (let p = 0; p < policies; p += 1) {
      objects.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `p${p}`, namespace: ns },
        spec: {
          podSelector: { matchLabels: { app: `w${p % workloads}` } },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [
            {
              from: [
                { podSelector: { matchLabels: { tier: `t${p % 4}` } } },
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': `team-${(n + 1) % namespaces}` } },
                  podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['t1', 't2'] }] },
                },
              ],
              ports: [{ port: 'http' }, { port: 9000, endPort: 9100 }],
            },
          ],
          egress: [
            {
              to: [{ podSelector: { matchLabels: { tier: `t${(p + 1) % 4}` } } }, { ipBlock: { cidr: `10.${n}.0.0/16`, except: [`10.${n}.${p}.0/24`] } }],
              ports: [{ port: 'http' }, { protocol: 'UDP', port: 53 }],
            },
          ],
        },
      });
    }
  }
  return objects;
}

export interface ConnectivityBenchResult {
  readonly date: string;
  readonly workloads: number;
  readonly policies: number;
  readonly connections: number;
  readonly parse_ms: number;
  readonly engine_ms: number;
  readonly cli_ms: number;
  readonly cli_lines: number;
}

/** Generates the world, times parsing, the engine and the real CLI (bin/stagewall.js, so build first). */
export function runConnectivityBench(namespaces = 50, workloads = 20, policies = 20): ConnectivityBenchResult {
  const objects = connectivityWorld(namespaces, workloads, policies);
  const dir = mkdtempSync(join(tmpdir(), 'stagewall-conn-'));
  const file = join(dir, 'world.yaml');
  const text = toYaml(objects);
  writeFileSync(file, text);
  let t = performance.now();
  const loaded = parseManifests(text, file);
  const parseMs = performance.now() - t;
  t = performance.now();
  const report = connectivityReport(loaded);
  const engineMs = performance.now() - t;
  t = performance.now();
  const cli = spawnSync(process.execPath, ['bin/stagewall.js', 'connectivity', file], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  const cliMs = performance.now() - t;
  if (cli.status !== 0) throw new Error(`the CLI failed: ${cli.stderr}`);
  return {
    date: new Date().toISOString(),
    workloads: namespaces * workloads,
    policies: namespaces * policies,
    connections: report.connections.length,
    parse_ms: Math.round(parseMs),
    engine_ms: Math.round(engineMs),
    cli_ms: Math.round(cliMs),
    cli_lines: cli.stdout.split('\n').length - 1,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const result = runConnectivityBench(flag('--namespaces', 50), flag('--workloads', 20), flag('--policies', 20));
  writeFileSync('bench/connectivity-last.json', `${JSON.stringify(result, null, 2)}\n`);
  console.table([result]);
}
