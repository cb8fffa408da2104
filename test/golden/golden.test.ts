// Golden files: the exact output of `stagewall generate` and `stagewall graph` on the examples and
// on the fixtures beside this file. After an intended change, rewrite them with
//   UPDATE_GOLDEN=1 npx mocha test/golden/golden.test.ts
// and review the diff like code.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { run } from '../cli/fake-io.js';

const EXAMPLES = ['-c', 'examples/stagewall.yaml', 'examples/pipeline/manifests'];
const RICH = ['-c', 'test/golden/rich.stagewall.yaml', 'test/golden/rich-namespaces.yaml', 'test/golden/generate-rich.yaml'];

const GOLDEN: { name: string; argv: string[]; file: string }[] = [
  { name: 'generate on the examples', argv: ['generate', '-c', 'examples/stagewall.yaml'], file: 'examples/pipeline/manifests/policies.yaml' },
  {
    name: 'generate on a richer config (fan-out, fan-in, cross-pipeline, named ports, range, UDP, IPv6)',
    argv: ['generate', '-c', 'test/golden/rich.stagewall.yaml'],
    file: 'test/golden/generate-rich.yaml',
  },
  { name: 'graph of the examples (every edge declared and allowed), mermaid', argv: ['graph', ...EXAMPLES], file: 'test/golden/graph-examples.mmd' },
  { name: 'graph of the examples, dot', argv: ['graph', ...EXAMPLES, '--format', 'dot'], file: 'test/golden/graph-examples.dot' },
  { name: 'graph of the examples, json', argv: ['graph', ...EXAMPLES, '--format', 'json'], file: 'test/golden/graph-examples.json' },
  {
    name: 'graph of the examples with examples/broken (its policies neither block nor open a stage edge)',
    argv: ['graph', ...EXAMPLES, 'examples/broken'],
    file: 'test/golden/graph-examples-broken.mmd',
  },
  {
    name: 'graph of the examples with drift: a blocked edge and a backdoor, mermaid',
    argv: ['graph', ...EXAMPLES, 'examples/drift/drift.yaml'],
    file: 'test/golden/graph-drift.mmd',
  },
  {
    name: 'graph of the examples with drift, dot (docs/flow.svg is rendered from it)',
    argv: ['graph', ...EXAMPLES, 'examples/drift/drift.yaml', '--format', 'dot'],
    file: 'test/golden/graph-drift.dot',
  },
  {
    name: 'graph of the examples with drift, json',
    argv: ['graph', ...EXAMPLES, 'examples/drift/drift.yaml', '--format', 'json'],
    file: 'test/golden/graph-drift.json',
  },
  { name: 'graph of the richer config against its generated policies', argv: ['graph', ...RICH], file: 'test/golden/graph-rich.mmd' },
  {
    name: 'graph of the richer config with no manifests: the declared flow, unverified',
    argv: ['graph', '-c', 'test/golden/rich.stagewall.yaml'],
    file: 'test/golden/graph-rich-declared.mmd',
  },
  {
    name: 'connectivity of the examples, no config (txt: pods lack the pipeline label that only the webhook adds)',
    argv: ['connectivity', 'examples/pipeline/manifests', 'examples/drift/drift.yaml'],
    file: 'test/golden/connectivity-drift-noconfig.txt',
  },
  { name: 'connectivity of the examples with their config, txt', argv: ['connectivity', ...EXAMPLES], file: 'test/golden/connectivity-examples.txt' },
  {
    name: 'connectivity of the examples with their config, json',
    argv: ['connectivity', ...EXAMPLES, '--format', 'json'],
    file: 'test/golden/connectivity-examples.json',
  },
  {
    name: 'connectivity of the examples with drift: backdoors marked, txt',
    argv: ['connectivity', ...EXAMPLES, 'examples/drift/drift.yaml'],
    file: 'test/golden/connectivity-drift.txt',
  },
  {
    name: 'connectivity of the examples with drift, md',
    argv: ['connectivity', ...EXAMPLES, 'examples/drift/drift.yaml', '--format', 'md'],
    file: 'test/golden/connectivity-drift.md',
  },
  {
    name: 'connectivity of the examples with drift, csv',
    argv: ['connectivity', ...EXAMPLES, 'examples/drift/drift.yaml', '--format', 'csv'],
    file: 'test/golden/connectivity-drift.csv',
  },
  {
    name: 'connectivity of the examples with drift, dot',
    argv: ['connectivity', ...EXAMPLES, 'examples/drift/drift.yaml', '--format', 'dot'],
    file: 'test/golden/connectivity-drift.dot',
  },
  {
    name: 'connectivity of the examples with drift, mermaid',
    argv: ['connectivity', ...EXAMPLES, 'examples/drift/drift.yaml', '--format', 'mermaid'],
    file: 'test/golden/connectivity-drift.mmd',
  },
];

describe('golden files: generate, graph and connectivity', () => {
  for (const g of GOLDEN) {
    it(`${g.name} (${g.file})`, async () => {
      const r = await run(g.argv);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '');
      if (process.env['UPDATE_GOLDEN']) writeFileSync(g.file, r.out);
      assert.ok(existsSync(g.file), `${g.file} is missing: write it with UPDATE_GOLDEN=1 npx mocha test/golden/golden.test.ts`);
      assert.equal(r.out, readFileSync(g.file, 'utf8'), 'regenerate with: UPDATE_GOLDEN=1 npx mocha test/golden/golden.test.ts');
    });
  }

  it('docs/flow.svg is the drift graph rendered by Graphviz (dot -Tsvg test/golden/graph-drift.dot)', () => {
    // Graphviz writes "-" as &#45; in text.
    const svg = readFileSync('docs/flow.svg', 'utf8').replace(/&#45;/g, '-');
    assert.match(svg, /Generated by graphviz/);
    const dot = readFileSync('test/golden/graph-drift.dot', 'utf8');
    // Every edge label and node of the DOT golden is in the picture.
    const labels = [...dot.matchAll(/ -> \S+ \[label="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(labels.length >= 3, dot);
    for (const label of labels) assert.ok(svg.includes(`>${label}</text>`), `docs/flow.svg lacks edge label "${label}": re-render it`);
    for (const node of ['extract', 'transform', 'load', 'etl-extract', 'etl-transform', 'etl-load']) assert.ok(svg.includes(`>${node}</text>`), node);
  });
});
