// Bounded memory (issue 10): only a view's policies share compiled selectors, in a cache bounded
// in entries and bytes; an object under review is compiled on its own and leaves nothing behind;
// cache keys are built from the fields Kubernetes defines, without walking anything else.
import { strict as assert } from 'node:assert';
import { loadConfigFile } from '../../src/config/load.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { compileSelector, createSelectorCache, selectorKey, SELECTOR_CACHE_LIMITS } from '../../src/engine/selectors.js';
import type { LabelSelector, NetworkPolicy } from '../../src/engine/types.js';
import { IndexedView } from '../../src/engine/view.js';
import { manyLabelKeys, nested } from '../../bench/hostile-shapes.js';
import { examplesView } from '../helpers/view.js';

const config = loadConfigFile('examples/stagewall.yaml');
const extra = (selector: LabelSelector, field: unknown) => ({ ...selector, extra: field }) as LabelSelector;

describe('engine/selectors: selectorKey', () => {
  const base: LabelSelector = { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['x', 'y'] }] };
  const same: { name: string; a: LabelSelector | undefined | null; b: LabelSelector | undefined | null }[] = [
    { name: 'an extra field is ignored, as the API server drops it', a: base, b: extra(base, { x: 1 }) },
    { name: 'an extra field nested 10,000 deep is ignored without walking it', a: base, b: extra(base, nested(10_000)) },
    {
      name: 'an extra field of a requirement is ignored',
      a: base,
      b: { ...base, matchExpressions: [{ ...base.matchExpressions![0]!, note: nested(10_000) } as never] },
    },
    { name: 'absent and null selectors are one (both select everything)', a: undefined, b: null },
    {
      name: 'omitted values and an empty list are one',
      a: { matchExpressions: [{ key: 'k', operator: 'Exists' }] },
      b: { matchExpressions: [{ key: 'k', operator: 'Exists', values: [] }] },
    },
  ];
  for (const c of same) {
    it(`the same key: ${c.name}`, () => assert.equal(selectorKey(c.a), selectorKey(c.b)));
  }
  const different: { name: string; a: LabelSelector; b: LabelSelector }[] = [
    { name: 'a comma inside a value is not a separator', a: { matchLabels: { a: 'b,1:c' } }, b: { matchLabels: { a: 'b', c: '' } } },
    {
      name: 'values are not keys',
      a: { matchExpressions: [{ key: 'k', operator: 'In', values: ['x', 'y'] }] },
      b: {
        matchExpressions: [
          { key: 'k', operator: 'In', values: ['x'] },
          { key: 'y', operator: 'Exists' },
        ],
      },
    },
    { name: 'matchLabels are not matchExpressions', a: { matchLabels: { k: 'In' } }, b: { matchExpressions: [{ key: 'k', operator: 'In', values: [] }] } },
  ];
  for (const c of different) {
    it(`different keys: ${c.name}`, () => assert.notEqual(selectorKey(c.a), selectorKey(c.b)));
  }
  const uncached: { name: string; selector: unknown }[] = [
    { name: 'a matchLabels value that is not a string', selector: { matchLabels: { a: 7 } } },
    { name: 'a value that is not a string', selector: { matchExpressions: [{ key: 'k', operator: 'In', values: [{}] }] } },
    { name: 'matchExpressions that is not a list', selector: { matchExpressions: { key: 'k' } } },
    { name: 'a selector that is a list', selector: [] },
  ];
  for (const c of uncached) {
    it(`no key (compiled uncached): ${c.name}`, () => assert.equal(selectorKey(c.selector as LabelSelector), undefined));
  }
});

function policy(name: string, selector: LabelSelector): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: 'etl-transform' },
    spec: { podSelector: selector, policyTypes: ['Ingress'] },
  };
}
const distinct = (i: number, keys = 3): LabelSelector => ({ matchLabels: Object.fromEntries(Array.from({ length: keys }, (_, k) => [`key-${i}-${k}`, 'v'])) });

describe('engine/selectors: compiled selectors are cached only for the view, and boundedly', () => {
  it('compileSelector without a cache compiles afresh: nothing is kept', () => {
    assert.notEqual(compileSelector({ matchLabels: { a: 'b' } }), compileSelector({ matchLabels: { a: 'b' } }));
  });

  it("a view's identical selectors are compiled once and shared", () => {
    const view = new IndexedView();
    const a = view.upsertPolicy(policy('a', { matchLabels: { s: 'x' } }));
    const b = view.upsertPolicy(policy('b', extra({ matchLabels: { s: 'x' } }, nested(10_000))));
    assert.equal(a.podSelector, b.podSelector);
    assert.equal(view.selectors.size, 1);
  });

  it('reviews of 300 policies with distinct selectors leave the view cache as it was', () => {
    const view = examplesView();
    const before = view.selectors.size;
    for (let i = 0; i < 300; i += 1) evaluate({ operation: 'CREATE', object: manyLabelKeys(200, i) }, { config, view });
    assert.equal(view.selectors.size, before);
    assert.ok(before > 0, 'the view compiled its own policies through the cache');
  });

  const bounds: { name: string; limits: { maxEntries: number; maxBytes: number }; policies: number; keys: number }[] = [
    { name: 'the entry bound', limits: { maxEntries: 100, maxBytes: 64 * 2 ** 20 }, policies: 300, keys: 3 },
    { name: 'the byte bound', limits: { maxEntries: 10_000, maxBytes: 200_000 }, policies: 60, keys: 200 },
  ];
  for (const c of bounds) {
    it(`${c.policies} distinct policies in a view: ${c.name} holds, and every policy is still judged`, () => {
      const view = new IndexedView({ selectorCache: c.limits });
      for (let i = 0; i < c.policies; i += 1) view.upsertPolicy(policy(`p${i}`, distinct(i, c.keys)));
      assert.ok(view.selectors.size <= c.limits.maxEntries, `${view.selectors.size} entries`);
      assert.ok(view.selectors.bytes <= c.limits.maxBytes, `${view.selectors.bytes} bytes`);
      assert.ok(view.selectors.size > 0);
      assert.equal(view.policiesIn('etl-transform').length, c.policies);
      const labels = distinct(c.policies - 1, c.keys).matchLabels!;
      assert.deepEqual(
        view
          .policiesIn('etl-transform')
          .filter((p) => p.podSelector.matches(labels))
          .map((p) => p.name),
        [`p${c.policies - 1}`],
      );
    });
  }

  it('the default view cache is bounded: 50,000 entries and 64 MiB', () => {
    assert.deepEqual(SELECTOR_CACHE_LIMITS, { maxEntries: 50_000, maxBytes: 64 * 2 ** 20 });
    const cache = createSelectorCache();
    assert.equal(cache.maxEntries, 50_000);
    assert.equal(cache.maxBytes, 64 * 2 ** 20);
  });
});
