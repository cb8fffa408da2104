// The engine's side of mutation: what to change, as metadata entries; rendering them as JSON
// Patch is admission/patch.ts's (test/admission/patch.test.ts).
import { strict as assert } from 'node:assert';
import { mutations } from '../../src/engine/mutate.js';
import { DEFAULT_DENY_ANNOTATION } from '../../src/shared/names.js';
import type { KubeObject } from '../../src/engine/types.js';
import { etlConfig } from '../helpers/config.js';
import { ns, PIPELINE, pod, STAGE, viewOf } from './rules/fixtures.js';

const config = etlConfig();
const view = viewOf(ns('etl', { pipeline: 'etl' }), ns('web'));
const changes = (object: KubeObject) => mutations({ operation: 'CREATE', object }, { config, view });

describe('engine/mutate', () => {
  it('a pod of a pipeline namespace: only the labels that differ', () => {
    assert.deepEqual(changes(pod('etl', 'p', { labels: { [STAGE]: 'extract' } })), { labels: { [PIPELINE]: 'etl' } });
  });
  it('a pod that has its labels already: no change', () => {
    assert.deepEqual(changes(pod('etl', 'p', { labels: { [STAGE]: 'extract', [PIPELINE]: 'etl' } })), {});
  });
  it('a pod outside a pipeline: no change', () => {
    assert.deepEqual(changes(pod('web', 'p')), {});
  });
  it('a pipeline namespace: the default-deny annotation naming the managed policies', () => {
    const got = changes(ns('etl-new', { pipeline: 'etl' }));
    assert.deepEqual(Object.keys(got), ['annotations']);
    assert.match(got.annotations?.[DEFAULT_DENY_ANNOTATION] ?? '', /\S/);
  });
});
