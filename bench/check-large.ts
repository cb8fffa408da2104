// Benchmark: `stagewall check` on 10,000 objects (1,000 namespaces with policies and pods).
// Run: npm run bench:check [-- --namespaces 1000]. Reports the wall time of each phase and of
// the real CLI on the generated files. Target (issue 2): under 3 s on the project's machine.
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
}

export function runCheckBench(namespaces = 1000): CheckBenchResult {
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
  const cli = spawnSync(process.execPath, ['bin/stagewall.js', 'check', '-c', config, manifests, '-o', 'json'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const cliMs = performance.now() - t;
  if (cli.status !== 0) throw new Error(`stagewall check exited ${cli.status}: ${cli.stderr.slice(0, 2000)}`);
  return { objects: loaded.length, policies: set.policies, parseMs, judgeMs, cliMs, denied: report.summary.denied, warned: report.summary.warned };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const flag = process.argv.indexOf('--namespaces');
  const r = runCheckBench(flag > 0 ? Number(process.argv[flag + 1]) : 1000);
  console.log(`stagewall check on ${r.objects} objects (${r.policies} NetworkPolicies):`);
  console.log(`  parse YAML      ${r.parseMs.toFixed(0)} ms`);
  console.log(`  view + judge    ${r.judgeMs.toFixed(0)} ms`);
  console.log(`  CLI end to end  ${r.cliMs.toFixed(0)} ms  (target < 3000 ms; node start-up included)`);
  console.log(`  denied objects  ${r.denied}, warned ${r.warned}`);
}
