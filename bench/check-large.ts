// Benchmark: `stagewall check` on 10,000 objects (1,000 namespaces with policies and pods).
// Run: npm run bench:check [-- --namespaces 1000]. Reports the wall time of each phase and of
// the real CLI on the generated files. Target (issue 2): under 3 s on the project's machine.
// Beside it, kube-score (its offline peer, with pod-networkpolicy among its checks) on the same
// file in the same run, when bench/peers/build.sh has built it; the ratio is what to compare.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { checkObjects } from '../src/cli/check.js';
import { parseManifests } from '../src/manifests/load.js';
import { largeSet, toYaml } from './fixtures.js';

export interface CheckBenchResult {
  readonly objects: number;
  readonly policies: number;
  readonly parseMs: number;
  readonly judgeMs: number;
  readonly cliMs: number;
  readonly denied: number;
  readonly warned: number;
  /** `kube-score score -o json` on the same file, or why it did not run. */
  readonly kubeScore?: { readonly ms: number; readonly ratio: number; readonly status: number | null } | { readonly skipped: string };
}

/** kube-score from the peers cache; bench/peers/build.sh kube-score builds it (about a minute). */
function kubeScoreBinary(): { bin: string } | { skipped: string } {
  const r = spawnSync('bash', [join(import.meta.dirname, 'peers/build.sh'), 'kube-score', '--cached'], { encoding: 'utf8' });
  const bin = r.stdout.trim();
  return r.status === 0 && bin
    ? { bin }
    : { skipped: `not built (bench/peers/build.sh kube-score --cached exited ${r.status}: ${r.stderr.trim().split('\n').pop()})` };
}

export function runCheckBench(namespaces = 1000, options: { kubeScore?: boolean } = {}): CheckBenchResult {
  const set = largeSet({ namespaces, policiesPerNamespace: 5, podsPerNamespace: 4 });
  const dir = mkdtempSync(join(tmpdir(), 'stagewall-bench-'));
  const manifests = join(dir, 'manifests.yaml');
  const config = join(dir, 'stagewall.yaml');
  const text = toYaml(set.objects);
  writeFileSync(manifests, text);
  writeFileSync(config, stringify(set.configDocument));

  let t = performance.now();
  const loaded = parseManifests(text, manifests);
  const parseMs = performance.now() - t;
  t = performance.now();
  const report = checkObjects(loaded, set.config);
  const judgeMs = performance.now() - t;

  t = performance.now();
  const cli = spawnSync(process.execPath, ['bin/stagewall.js', 'check', '-c', config, manifests, '-o', 'json'], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  const cliMs = performance.now() - t;
  if (cli.status !== 0) throw new Error(`stagewall check exited ${cli.status}: ${cli.stderr.slice(0, 2000)}`);
  const result = { objects: loaded.length, policies: set.policies, parseMs, judgeMs, cliMs, denied: report.summary.denied, warned: report.summary.warned };
  if (!options.kubeScore) return result;
  const found = kubeScoreBinary();
  if ('skipped' in found) return { ...result, kubeScore: found };
  t = performance.now();
  // Exit 1 means it found critical problems (it does: these pods set no limits), not a failure.
  const ks = spawnSync(found.bin, ['score', '-o', 'json', manifests], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  const ksMs = performance.now() - t;
  if (ks.status !== 0 && ks.status !== 1) return { ...result, kubeScore: { skipped: `kube-score exited ${ks.status}: ${ks.stderr.slice(0, 500)}` } };
  return { ...result, kubeScore: { ms: ksMs, ratio: ksMs / cliMs, status: ks.status } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const flag = process.argv.indexOf('--namespaces');
  const r = runCheckBench(flag > 0 ? Number(process.argv[flag + 1]) : 1000, { kubeScore: true });
  console.log(`stagewall check on ${r.objects} objects (${r.policies} NetworkPolicies):`);
  console.log(`  parse YAML      ${r.parseMs.toFixed(0)} ms`);
  console.log(`  view + judge    ${r.judgeMs.toFixed(0)} ms`);
  console.log(`  CLI end to end  ${r.cliMs.toFixed(0)} ms  (target < 3000 ms; node start-up included)`);
  console.log(`  denied objects  ${r.denied}, warned ${r.warned}`);
  const ks = r.kubeScore;
  if (ks && 'skipped' in ks) console.log(`kube-score: skipped, ${ks.skipped}`);
  else if (ks)
    console.log(
      `kube-score score -o json on the same file: ${ks.ms.toFixed(0)} ms (exit ${ks.status}), ${ks.ratio.toFixed(2)}× stagewall check's time in this run`,
    );
}
