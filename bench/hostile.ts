// npm run bench:hostile [-- --runs N] [-- --only NAME]: evaluate() (the engine, as both the
// webhook and the CLI call it; the webhook adds only JSON parsing around it) on the hostile
// shapes of issue 10 at the sizes, each against a small normal policy measured right
// after it in the same run; then what the memory shape leaves on the heap after GC.
// Ratios, not absolute numbers, are what to compare: the machine is shared and noisy.
// A full run (without --only) writes bench/hostile-last.json.
import { writeFileSync } from 'node:fs';
import { loadConfigFile } from '../src/config/load.js';
import { evaluate, type EngineContext } from '../src/engine/evaluate.js';
import { mutations } from '../src/engine/mutate.js';
import type { KubeObject } from '../src/engine/types.js';
import { isStagewallError } from '../src/errors.js';
import { loadManifests } from '../src/manifests/load.js';
import { buildStaticView } from '../src/manifests/view.js';
import { checkStructure } from '../src/engine/limits.js';
import { reviewPayloads } from './payloads.js';
import { deepPeerField, manyExcepts, manyLabelKeys, manyNamedPorts, manyRequirements, manyRules, smallPod, smallPolicy } from './hostile-shapes.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(option('--runs') ?? 3);
const only = option('--only');

const config = loadConfigFile('examples/stagewall.yaml');
const view = buildStaticView(loadManifests(['examples/pipeline/manifests']), 'default', config);
const ctx: EngineContext = { config, view };

interface Shape {
  readonly name: string;
  readonly object: () => KubeObject;
}

const SHAPES: readonly Shape[] = [
  { name: 'rules-20k', object: () => manyRules(20_000) },
  { name: 'rules-50k', object: () => manyRules(50_000) },
  { name: 'excepts-16k', object: () => manyExcepts(16_000) },
  { name: 'requirements-400x300', object: () => manyRequirements(400, 300) },
  { name: 'label-keys-20k', object: () => manyLabelKeys(20_000) },
  { name: 'named-ports-20k', object: () => manyNamedPorts(20_000) },
  { name: 'deep-field-10k', object: () => deepPeerField(10_000) },
];

/** One judgement: the verdict, or the error code when the object is refused. */
function judge(object: KubeObject): string {
  try {
    return evaluate({ operation: 'CREATE', object }, ctx).verdict;
  } catch (err) {
    if (isStagewallError(err)) return `refused ${err.code}`;
    return `crashed: ${(err as Error).message}`;
  }
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Mean time of one call over at least `ms` milliseconds (after `ms / 2` of warm-up), in microseconds. */
function timeSmall(call: () => unknown, ms = 500): number {
  const warm = performance.now();
  while (performance.now() - warm < ms / 2) for (let i = 0; i < 100; i += 1) call(); // JIT first
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 100; i += 1) call();
    n += 100;
    now = performance.now();
  }
  return ((now - start) * 1000) / n;
}

function sizeOf(object: KubeObject): number {
  try {
    return Buffer.byteLength(JSON.stringify(object));
  } catch {
    return Number.NaN; // deeper than JSON.stringify can go
  }
}

const small = smallPolicy();
const pod = smallPod();
const smallUs = timeSmall(() => judge(small));
const podUs = timeSmall(() => judge(pod));
const mutateUs = timeSmall(() => mutations({ operation: 'CREATE', object: pod }, ctx));
// The hot path's share of the structural check: on the ~5 KB Pod of `npm run bench`'s reviews.
const benchPayload = reviewPayloads(1)[0]!;
const benchPod = (JSON.parse(benchPayload) as { request: { object: KubeObject } }).request.object;
const checkUs = timeSmall(() => checkStructure(benchPod, 'object'));
console.log(
  `small policy: ${JSON.stringify(small).length} bytes, ${smallUs.toFixed(1)} µs per evaluate(); small pod: evaluate ${podUs.toFixed(1)} µs, mutations ${mutateUs.toFixed(1)} µs`,
);
console.log(
  `structural check (limits.ts) of the ${Buffer.byteLength(JSON.stringify(benchPod))}-byte Pod of npm run bench: ${checkUs.toFixed(2)} µs (run once by evaluate, once by mutations)`,
);

const rows: { shape: string; bytes: number; verdict: string; ms: number; small_us: number; ratio: number }[] = [];
console.log('\n| shape                  |    bytes | verdict                 |       ms | small µs | × small policy |');
console.log('|------------------------|----------|-------------------------|----------|----------|----------------|');
for (const shape of SHAPES) {
  if (only && shape.name !== only) continue;
  const object = shape.object();
  const times: number[] = [];
  let verdict = '';
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    verdict = judge(object);
    times.push(performance.now() - start);
    if (times.reduce((a, b) => a + b, 0) > 20_000) break; // a slow build: one or two runs say enough
  }
  const ms = median(times);
  // The yardstick again, right after: a noisy neighbour then weighs on both sides of the ratio.
  const nearbyUs = timeSmall(() => judge(small), 200);
  const row = {
    shape: shape.name,
    bytes: sizeOf(object),
    verdict,
    ms: Number(ms.toFixed(2)),
    small_us: Number(nearbyUs.toFixed(1)),
    ratio: Math.round((ms * 1000) / nearbyUs),
  };
  rows.push(row);
  console.log(
    `| ${row.shape.padEnd(22)} | ${String(row.bytes).padStart(8)} | ${verdict.padEnd(23)} | ${ms.toFixed(1).padStart(8)} | ${nearbyUs.toFixed(1).padStart(8)} | ${String(row.ratio).padStart(14)} |`,
  );
}

/** The memory shape: 80 reviews of a policy with 20,000 distinct label keys; heap kept after GC. */
function heapKept(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 80; i += 1) judge(manyLabelKeys(20_000, i));
  gc();
  return (process.memoryUsage().heapUsed - before) / 2 ** 20;
}
const kept = only ? undefined : heapKept();
if (kept !== undefined) console.log(`\nheap kept after 80 reviews of 20,000-key selectors (after GC): ${kept.toFixed(1)} MiB`);
else if (!only) console.log('\n(run with node --expose-gc for the memory row)');

// Only a full run is a record worth keeping; --only is for looking at one shape.
if (!only)
  writeFileSync(
    new URL('./hostile-last.json', import.meta.url),
    `${JSON.stringify({ small_policy_us: Number(smallUs.toFixed(1)), small_pod_us: Number(podUs.toFixed(1)), small_mutate_us: Number(mutateUs.toFixed(1)), structure_check_us: Number(checkUs.toFixed(2)), shapes: rows, heap_kept_mib: kept === undefined ? null : Number(kept.toFixed(1)), settings: { runs, node: process.version, date: new Date().toISOString() } }, null, 2)}\n`,
  );
if (!only) console.log('wrote bench/hostile-last.json');
