// Seeded fuzzing of the two fronts with objects of the wrong shape: every field of the example
// manifests, a few at a time, replaced by a value of another type. Whatever arrives, the answer is
// a verdict or a StagewallError naming the problem, never an exception (a 500 or a stack trace).
import { strict as assert } from 'node:assert';
import { handleMutate, handleValidate } from '../../src/admission/handler.js';
import { decodeReview } from '../../src/admission/review.js';
import { checkObjects } from '../../src/cli/check.js';
import { loadConfigFile } from '../../src/config/load.js';
import { shapeProblem } from '../../src/engine/shape.js';
import type { KubeObject } from '../../src/engine/types.js';
import { isStagewallError } from '../../src/errors.js';
import { loadManifests } from '../../src/manifests/load.js';
import { buildStaticView } from '../../src/manifests/view.js';

const config = loadConfigFile('examples/stagewall.yaml');
const ctx = { config, view: buildStaticView(loadManifests(['examples/pipeline/manifests']), 'default', config), ownNamespace: 'stagewall-system' };
const SEEDS = loadManifests(['examples/pipeline/manifests', 'examples/broken']).map((o) => o.object);
const WRONG: unknown[] = [null, 0, -1, 1.5, '', 'x', true, [], [1], [null], [{}], ['a'], {}, { a: 1 }, { matchLabels: 5 }, '0.0.0.0/0', 70000];

/** A small deterministic generator (LCG), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

function fieldPaths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (prefix.length > 0) out.push(prefix);
  if (value && typeof value === 'object') for (const [key, child] of Object.entries(value)) fieldPaths(child, [...prefix, key], out);
  return out;
}

function damaged(object: KubeObject, rand: () => number): KubeObject {
  const copy = structuredClone(object) as Record<string, unknown>;
  const paths = fieldPaths(copy);
  for (let n = 1 + Math.floor(rand() * 3); n > 0; n -= 1) {
    const path = paths[Math.floor(rand() * paths.length)] ?? [];
    let parent: unknown = copy;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string, unknown> | undefined)?.[key];
    if (parent && typeof parent === 'object') (parent as Record<string, unknown>)[path[path.length - 1] as string] = structuredClone(WRONG[Math.floor(rand() * WRONG.length)]);
  }
  return copy as KubeObject;
}

function crash(err: unknown): string | undefined {
  return isStagewallError(err) ? undefined : String((err as Error)?.stack ?? err).split('\n').slice(0, 3).join(' | ');
}

describe('admission and check: objects of the wrong shape never crash the engine (seeded fuzzing)', () => {
  it('5,000 reviews on /validate and /mutate: a verdict or a named bad request, every time', () => {
    const rand = random(42);
    const crashes = new Set<string>();
    let refused = 0;
    for (let i = 0; i < 5000; i += 1) {
      const object = damaged(SEEDS[Math.floor(rand() * SEEDS.length)] as KubeObject, rand);
      const operation = (['CREATE', 'UPDATE', 'DELETE'] as const)[Math.floor(rand() * 3)];
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: `u${i}`, operation, namespace: object.metadata?.namespace, userInfo: { username: 'fuzz' }, object: operation === 'DELETE' ? null : object, oldObject: operation === 'CREATE' ? null : damaged(object, rand) },
      };
      for (const handle of [handleValidate, handleMutate]) {
        try {
          handle(decodeReview(review).request, ctx);
        } catch (err) {
          const found = crash(err);
          if (found) crashes.add(`${handle.name}: ${found}`);
          else refused += 1;
        }
      }
    }
    assert.deepEqual([...crashes], []);
    assert.ok(refused > 0, 'some damage is refused as a bad request, so the fuzzing reaches the engine');
  });

  it('2,000 manifests through check: a shape error at load, or a verdict', () => {
    const rand = random(7);
    const crashes = new Set<string>();
    let judged = 0;
    for (let i = 0; i < 2000; i += 1) {
      const object = damaged(SEEDS[Math.floor(rand() * SEEDS.length)] as KubeObject, rand);
      if (shapeProblem(object)) continue; // what loadManifests refuses as MANIFEST_SHAPE
      try {
        checkObjects([{ object, source: { file: 'fuzz.yaml', line: 1 }, judged: true }], config);
        judged += 1;
      } catch (err) {
        const found = crash(err);
        if (found) crashes.add(found);
      }
    }
    assert.deepEqual([...crashes], []);
    assert.ok(judged > 100, `enough damaged objects pass the shape check to reach the engine (${judged})`);
  });
});
