// Golden files of `stagewall check --output markdown`, and what makes them render on GitHub: the
// mermaid block is exactly `stagewall graph`'s, tables keep their columns, and nothing in the text
// reads as HTML. After an intended change: UPDATE_GOLDEN=1 npx mocha test/golden/check-markdown.test.ts
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { run } from '../cli/fake-io.js';

const EXAMPLES = ['-c', 'examples/stagewall.yaml', 'examples/pipeline/manifests'];

const GOLDEN: { name: string; inputs: string[]; extra?: string[]; code: number; file: string }[] = [
  { name: 'the examples: nothing to report, the flow all allowed', inputs: EXAMPLES, code: 0, file: 'test/golden/check-examples.md' },
  {
    name: 'with examples/broken: every CREATE rule, one fix snippet per uncovered pod',
    inputs: [...EXAMPLES, 'examples/broken'],
    code: 1,
    file: 'test/golden/check-broken.md',
  },
  {
    name: 'with examples/drift: a blocked edge and a backdoor marked',
    inputs: [...EXAMPLES, 'examples/drift/drift.yaml'],
    extra: ['--fail-on', 'warn'],
    code: 1,
    file: 'test/golden/check-drift.md',
  },
  {
    name: 'the broken set alone, no pipeline namespace manifests but the config places stages: graph of what the view holds',
    inputs: ['-c', 'examples/stagewall.yaml', 'examples/broken'],
    code: 1,
    file: 'test/golden/check-broken-alone.md',
  },
];

/** The cells of a table row, split on the pipes Markdown reads (not `\|`). */
const cells = (row: string) => row.slice(1, -1).split(/(?<!\\)\|/);

function outsideCode(markdown: string): string {
  return markdown.replace(/^( *)(`{3,})[^\n]*\n[\s\S]*?\n\1\2$/gm, '').replace(/(`+)[^`]*?\1/g, '');
}

describe('golden files: check --output markdown', () => {
  for (const g of GOLDEN) {
    describe(`${g.name} (${g.file})`, () => {
      let out = '';
      before(async () => {
        const r = await run(['check', ...g.inputs, '-o', 'markdown', ...(g.extra ?? [])]);
        assert.equal(r.code, g.code, r.err);
        assert.equal(r.err, '');
        out = r.out;
        if (process.env['UPDATE_GOLDEN']) writeFileSync(g.file, out);
      });

      it('equals the golden file', () => {
        assert.ok(existsSync(g.file), `${g.file} is missing: write it with UPDATE_GOLDEN=1 npx mocha test/golden/check-markdown.test.ts`);
        assert.equal(out, readFileSync(g.file, 'utf8'), 'regenerate with: UPDATE_GOLDEN=1 npx mocha test/golden/check-markdown.test.ts');
      });

      it('its mermaid block is the graph of `stagewall graph --format mermaid` on the same input', async () => {
        const blocks = [...out.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
        assert.equal(blocks.length, 1, 'one flow graph');
        const graph = await run(['graph', ...g.inputs, '--format', 'mermaid']);
        assert.equal(blocks[0], graph.out);
      });

      it('every table row has as many cells as its header', () => {
        const lines = out.split('\n');
        for (let i = 0; i < lines.length; i += 1) {
          if (!/^\|[-|]+\|$/.test(lines[i + 1] ?? '') || !lines[i]!.startsWith('|')) continue;
          const width = cells(lines[i]!).length;
          for (let j = i + 2; j < lines.length && lines[j]!.startsWith('|'); j += 1) assert.equal(cells(lines[j]!).length, width, lines[j]);
        }
      });

      it('no text reads as HTML or a table cell break, apart from <details>', () => {
        const text = outsideCode(out).replace(/<\/?(details|summary)>/g, '');
        assert.doesNotMatch(text, /(?<!\\)<[a-zA-Z/]/, 'a raw tag: GitHub would drop it');
      });
    });
  }

  it('escapes what Markdown would read in names and messages: | in a table cell, <stage> in text', async () => {
    const { mdCode, mdText } = await import('../../src/cli/report/markdown.js');
    const rows: { in: string; text: string; code: string; cell: string }[] = [
      { in: 'add label a: <stage>', text: 'add label a: \\<stage\\>', code: '`add label a: <stage>`', cell: '`add label a: <stage>`' },
      { in: 'x|y', text: 'x\\|y', code: '`x|y`', cell: '`x\\|y`' },
      { in: 'a `b` c', text: 'a \\`b\\` c', code: '``a `b` c``', cell: '``a `b` c``' },
      { in: '`edge`', text: '\\`edge\\`', code: '`` `edge` ``', cell: '`` `edge` ``' },
      { in: '*_[x]_*', text: '\\*\\_\\[x\\]\\_\\*', code: '`*_[x]_*`', cell: '`*_[x]_*`' },
    ];
    for (const row of rows) {
      assert.equal(mdText(row.in), row.text, row.in);
      assert.equal(mdCode(row.in), row.code, row.in);
      assert.equal(mdCode(row.in, true), row.cell, row.in);
    }
  });

  it('the graph holds the pipelines the view holds (and those an edge joins to them), not every pipeline of the config', async () => {
    const { writeFileSync: write, mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-md-'));
    try {
      const config = join(dir, 'stagewall.yaml');
      write(
        config,
        'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\npipelines:\n  - {name: a, stages: [{name: one}, {name: two}]}\n  - {name: b, stages: [{name: one}, {name: two}]}\n  - {name: c, stages: [{name: one, egressTo: [a/one]}]}\n',
      );
      const ns = join(dir, 'ns.yaml');
      write(ns, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {stagewall.dev/pipeline: a}}\n');
      const md = (await run(['check', '-c', config, ns, '-o', 'markdown'])).out;
      assert.match(md, /subgraph p0\["pipeline a"\]/);
      assert.match(md, /subgraph p2\["pipeline c"\]/, 'c has an edge into a');
      assert.doesNotMatch(md, /pipeline b/);
      assert.match((await run(['graph', '-c', config, ns])).out, /subgraph p1\["pipeline b"\]/, 'graph itself draws every pipeline');
      const none = join(dir, 'none.yaml');
      write(none, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n');
      assert.doesNotMatch((await run(['check', '-c', config, none, '-o', 'markdown'])).out, /mermaid|### Flow/, 'no pipeline namespace in the view: no graph');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with a name holding | and <, the table keeps its columns and the text its characters', async () => {
    const { writeFileSync: write, mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-md-'));
    try {
      const file = join(dir, 'odd.yaml');
      write(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "a|b<c>"\n  namespace: etl-transform\n  labels: {stagewall.dev/stage: "x|<y>"}\n');
      const r = await run(['check', ...EXAMPLES, file, '-o', 'markdown']);
      assert.equal(r.code, 1);
      const row = r.out.split('\n').find((l) => l.includes('a\\|b<c>'));
      assert.ok(row, r.out);
      assert.equal(cells(row).length, 4);
      assert.match(r.out, /stagewall\.dev\/stage=x\\\|\\<y\\>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
