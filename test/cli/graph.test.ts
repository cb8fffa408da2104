import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { run, STACK_LINE } from './fake-io.js';

const CONFIG = 'examples/stagewall.yaml';
const GOOD = 'examples/pipeline/manifests';
const DRIFT = 'examples/drift/drift.yaml';
const RICH = ['-c', 'test/golden/rich.stagewall.yaml', 'test/golden/rich-namespaces.yaml', 'test/golden/generate-rich.yaml'];

interface GraphJson {
  pipelines: { name: string; stages: { id: string; name: string; namespaces: string[]; serves: string[] }[] }[];
  edges: {
    from: string;
    to: string;
    kind: string;
    declared: boolean;
    allowed: string[];
    blocked: string[];
    label: string;
    placements: { from: string; to: string; egress: string[]; ingress: string[]; allowed: string[]; blocked?: boolean }[];
  }[];
  summary: Record<string, number>;
}

async function graphJson(...args: string[]): Promise<GraphJson> {
  const r = await run(['graph', '--format', 'json', ...args]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  return JSON.parse(r.out) as GraphJson;
}

describe('cli: stagewall graph', () => {
  it('mermaid by default; exit 0, nothing on stderr, deterministic', async () => {
    const a = await run(['graph', '-c', CONFIG, GOOD]);
    const b = await run(['graph', '-c', CONFIG, GOOD]);
    assert.equal(a.code, 0, a.err);
    assert.equal(a.err, '');
    assert.match(a.out, /^flowchart LR\n {2}%% stagewall graph/);
    assert.equal(a.out, b.out);
    assert.equal(a.out, (await run(['graph', '-c', CONFIG, GOOD, '--format', 'mermaid'])).out);
  });

  it('mermaid: one subgraph per pipeline, every edge labelled with its ports, every edge styled exactly once', async () => {
    const r = await run(['graph', ...RICH]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      [...r.out.matchAll(/^ {2}subgraph p\d+\["pipeline ([^"]+)"\]$/gm)].map((m) => m[1]),
      ['ingest', 'report'],
    );
    const edges = r.out.split('\n').filter((l) => /^ {2}p\d+s\d+ (-->|-\.->|==>)\|"[^"]+"\| p\d+s\d+$/.test(l));
    assert.equal(edges.length, 6);
    assert.ok(
      edges.some((l) => l.includes('|"TCP 8080, TCP metrics"|')),
      'named ports on the edge',
    );
    assert.ok(
      edges.some((l) => l.includes('|"TCP 7000-7010"|')),
      'a range on the edge',
    );
    assert.ok(
      edges.some((l) => l.includes('|"UDP 5353"|')),
      'UDP on the edge',
    );
    const styled = [...r.out.matchAll(/^ {2}linkStyle ([\d,]+) /gm)].flatMap((m) => m[1]!.split(',').map(Number)).sort((x, y) => x - y);
    assert.deepEqual(
      styled,
      edges.map((_, i) => i),
    );
  });

  it('the three kinds of edge on the drift fixture: declared and allowed, declared but blocked, allowed but undeclared', async () => {
    const graph = await graphJson('-c', CONFIG, GOOD, DRIFT);
    assert.deepEqual(
      graph.edges.map((e) => [e.from, e.to, e.kind, e.label]),
      [
        ['etl/extract', 'etl/transform', 'declared-blocked', 'BLOCKED TCP 8080'],
        ['etl/extract', 'etl/load', 'undeclared-allowed', 'UNDECLARED TCP 8080'],
        ['etl/transform', 'etl/load', 'declared-allowed', 'TCP 8080'],
      ],
    );
    assert.deepEqual(graph.summary, { 'declared-allowed': 1, 'declared-blocked': 1, 'undeclared-allowed': 1, 'declared-unverified': 0 });
    assert.deepEqual(graph.edges[0]?.placements, [
      { from: 'etl-extract', to: 'etl-transform', egress: ['TCP 8080'], ingress: ['TCP 9090'], allowed: [], blocked: true },
    ]);
    const mermaid = (await run(['graph', '-c', CONFIG, GOOD, DRIFT])).out;
    assert.match(mermaid, /^ {2}p0s0 -\.->\|"BLOCKED TCP 8080"\| p0s1$/m);
    assert.match(mermaid, /^ {2}p0s0 ==>\|"UNDECLARED TCP 8080"\| p0s2$/m);
    assert.match(mermaid, /^ {2}p0s1 -->\|"TCP 8080"\| p0s2$/m);
  });

  it('agrees with check: the blocked edges of the graph are the flow-blocked warnings of check', async () => {
    const graph = await graphJson('-c', CONFIG, GOOD, DRIFT);
    const check = JSON.parse((await run(['check', '-c', CONFIG, '-o', 'json', GOOD, DRIFT])).out) as {
      results: { kind: string; name: string; violations: { rule: string; message: string }[] }[];
    };
    const warned = check.results.flatMap((res) =>
      res.violations.filter((v) => v.rule === 'flow-blocked').map((v) => /declared flow (\S+) -> (\S+) /.exec(v.message)!.slice(1, 3).join(' -> ')),
    );
    assert.deepEqual(
      warned,
      graph.edges.filter((e) => e.kind === 'declared-blocked').map((e) => `${e.from} -> ${e.to}`),
    );
  });

  it('json: stages with their namespaces and served ports, every declared edge, a summary that counts them', async () => {
    const graph = await graphJson(...RICH);
    assert.deepEqual(
      graph.pipelines.map((p) => p.stages.map((s) => `${s.id}@${s.namespaces.join('+')}: ${s.serves.join(', ')}`)),
      [
        [
          'ingest/fetch@ingest: any port',
          'ingest/parse@ingest: TCP 8080, TCP metrics',
          'ingest/dedupe@ingest-dedupe: TCP 7000-7010',
          'ingest/merge@ingest: UDP 5353',
        ],
        ['report/collect@report: any port', 'report/publish@report: TCP 443'],
      ],
    );
    assert.equal(graph.summary['declared-allowed'], 6);
    assert.equal(
      Object.values(graph.summary).reduce((a, b) => a + b, 0),
      graph.edges.length,
    );
    assert.ok(graph.edges.every((e) => e.declared && e.kind === 'declared-allowed' && e.blocked.length === 0));
  });

  it('dot: a digraph with one cluster per pipeline and one styled edge per edge', async () => {
    const r = await run(['graph', ...RICH, '--format', 'dot']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^digraph stagewall \{$/m);
    assert.deepEqual(
      [...r.out.matchAll(/label="pipeline ([^"]+)"/g)].map((m) => m[1]),
      ['ingest', 'report'],
    );
    assert.equal([...r.out.matchAll(/^ {2}p\d+s\d+ -> p\d+s\d+ \[label="[^"]+", color="#[0-9a-f]{6}"/gm)].length, 6);
    assert.equal((r.out.match(/\{/g) ?? []).length, (r.out.match(/\}/g) ?? []).length);
  });

  it('dot: Graphviz accepts it (skipped without the dot binary)', async function () {
    if (spawnSync('dot', ['-V']).error) this.skip();
    for (const args of [['-c', CONFIG, GOOD, DRIFT], RICH]) {
      const r = await run(['graph', ...args, '--format', 'dot']);
      const dot = spawnSync('dot', ['-Tsvg'], { input: r.out, encoding: 'utf8' });
      assert.equal(dot.status, 0, dot.stderr);
      assert.match(dot.stdout, /<svg/);
    }
  });

  it('without manifests: the declared flow alone, every edge unverified', async () => {
    const graph = await graphJson('-c', CONFIG);
    assert.deepEqual(
      graph.edges.map((e) => e.kind),
      ['declared-unverified', 'declared-unverified'],
    );
    assert.ok(graph.pipelines[0]!.stages.every((s) => s.namespaces.length === 0));
  });

  it('"-" reads manifests from stdin, and --namespace places objects that name none', async () => {
    // transform's stage policy, replaced by one that admits nothing: both edges through transform break.
    const stdin =
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: stagewall-etl-transform}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n';
    const r = await run(['graph', '-c', CONFIG, '--format', 'json', '-n', 'etl-transform', GOOD, '-'], { stdin });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      (JSON.parse(r.out) as GraphJson).edges.map((e) => e.kind),
      ['declared-blocked', 'declared-blocked'],
    );
  });

  const bad: { name: string; argv: string[]; err: RegExp }[] = [
    { name: 'an unknown format is a usage error naming the choices', argv: ['graph', '-c', CONFIG, GOOD, '--format', 'png'], err: /mermaid, dot, json/ },
    { name: 'a missing config', argv: ['graph', '-c', 'nope.yaml', GOOD], err: /error CONFIG_READ/ },
    { name: 'a path that does not exist', argv: ['graph', '-c', CONFIG, 'no/such/path'], err: /error MANIFEST_READ/ },
    { name: 'a malformed manifest', argv: ['graph', '-c', CONFIG, '-'], err: /error MANIFEST_YAML/ },
  ];
  for (const b of bad) {
    it(`${b.name}: exit 2, a message, no stack trace`, async () => {
      const r = await run(b.argv, { stdin: 'kind: [' });
      assert.equal(r.code, 2, r.out);
      assert.equal(r.out, '');
      assert.match(r.err, b.err);
      assert.doesNotMatch(r.err, STACK_LINE);
    });
  }

  it('docs/graph.md shows the graph of the drift fixture exactly as graph prints it', async () => {
    const page = readFileSync('docs/graph.md', 'utf8');
    const block = /```mermaid\n([\s\S]*?)```/.exec(page)?.[1];
    assert.ok(block, 'a mermaid block in docs/graph.md');
    assert.equal(block, (await run(['graph', '-c', CONFIG, GOOD, DRIFT])).out);
    assert.match(page, /!\[[^\]]*\]\(flow\.svg\)/);
  });
});
