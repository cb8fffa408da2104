// The coverage rules' rendered snippets are cached per config, bounded in entries and bytes.
import { strict as assert } from 'node:assert';
import { loadConfigFile } from '../../../src/config/load.js';
import { snippetCache, SNIPPET_CACHE_LIMITS } from '../../../src/engine/rules/coverage.js';
import { judge, ns, pod, viewOf } from './fixtures.js';

describe('engine/rules/coverage: the snippet cache', () => {
  it('holds one snippet per (namespace, stage) judged, each weighed in bytes', () => {
    const config = loadConfigFile('examples/stagewall.yaml');
    const names = Array.from({ length: 30 }, (_, i) => `etl-extra-${i}`);
    const view = viewOf(...names.map((name) => ns(name, { pipeline: 'etl' })));
    for (const name of names) {
      for (const stage of ['extract', 'load']) judge(pod(name, `p-${stage}`, { labels: { 'stagewall.dev/stage': stage } }), config, view);
    }
    const cache = snippetCache(config);
    assert.equal(cache.size, 60);
    assert.ok(cache.bytes > 60 * 200, `each snippet is weighed by its text (${cache.bytes} bytes)`);
  });

  it('is bounded: 10,000 entries and 16 MiB per config', () => {
    const cache = snippetCache(loadConfigFile('examples/stagewall.yaml'));
    assert.deepEqual(SNIPPET_CACHE_LIMITS, { maxEntries: 10_000, maxBytes: 16 * 2 ** 20 });
    assert.equal(cache.maxEntries, SNIPPET_CACHE_LIMITS.maxEntries);
    assert.equal(cache.maxBytes, SNIPPET_CACHE_LIMITS.maxBytes);
  });
});
