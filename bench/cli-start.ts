// Benchmark: start-up of the CLI against bare `node -e 0`, measured side by side in one run.
// Run: npm run bench:cli [-- --runs 9]. Each round runs every command once, in turn, so a busy
// neighbour slows all of them alike; the report is the median wall time of each and its ratio to
// node's own. Targets (issue 12): check on the examples <= 3x node -e 0, --version and version <= 2x.
import { spawnSync } from 'node:child_process';

export interface StartCase {
  readonly name: string;
  readonly args: readonly string[];
  /** The target, as a multiple of `node -e 0`; none for the baseline. */
  readonly target?: number;
}

export const CASES: readonly StartCase[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'stagewall --version', args: ['bin/stagewall.js', '--version'], target: 2 },
  { name: 'stagewall version', args: ['bin/stagewall.js', 'version'], target: 2 },
  { name: 'stagewall check (examples)', args: ['bin/stagewall.js', 'check', '-c', 'examples/stagewall.yaml', 'examples/pipeline/manifests'], target: 3 },
  { name: 'stagewall rules', args: ['bin/stagewall.js', 'rules'] },
];

export interface StartResult {
  readonly name: string;
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  readonly ratio: number;
  readonly target?: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function runStartBench(runs = 7, cases: readonly StartCase[] = CASES): StartResult[] {
  const samples = cases.map(() => [] as number[]);
  const once = (c: StartCase) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [...c.args], { encoding: 'utf8' });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
    return ms;
  };
  for (const c of cases) once(c); // warm the file cache; not counted
  for (let round = 0; round < runs; round += 1) cases.forEach((c, i) => samples[i]!.push(once(c)));
  const base = median(samples[0]!);
  return cases.map((c, i) => ({
    name: c.name,
    samplesMs: samples[i]!,
    medianMs: median(samples[i]!),
    ratio: median(samples[i]!) / base,
    ...(c.target === undefined ? {} : { target: c.target }),
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const flag = process.argv.indexOf('--runs');
  const runs = flag > 0 ? Number(process.argv[flag + 1]) : 7;
  const results = runStartBench(runs);
  console.log(`CLI start-up, ${runs} rounds side by side (Node ${process.version}, wall time):\n`);
  console.log('| command | median | min | max | × node -e 0 | target |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    const target = r.target === undefined ? '' : `≤ ${r.target}× ${r.ratio <= r.target ? 'met' : 'MISSED'}`;
    console.log(
      `| ${r.name} | ${r.medianMs.toFixed(0)} ms | ${Math.min(...r.samplesMs).toFixed(0)} ms | ${Math.max(...r.samplesMs).toFixed(0)} ms | ${r.ratio.toFixed(2)} | ${target} |`,
    );
  }
  if (results.some((r) => r.target !== undefined && r.ratio > r.target)) process.exitCode = 1;
}
