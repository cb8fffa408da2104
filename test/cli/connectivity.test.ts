// `stagewall connectivity`: netpol-analyzer's list formats (txt, json) exactly, the formats for
// people, the input as kubectl writes it (typed lists on stdin), --focus, and stages with a config.
import { strict as assert } from 'node:assert';
import { run } from './fake-io.js';

const PODS = `apiVersion: v1
kind: PodList
items:
  - metadata: {name: web-5d8f-abc, namespace: shop, labels: {app: web}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, uid: u1, controller: true}]}
    spec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]}
    status: {phase: Running}
  - metadata: {name: db-0, namespace: shop, labels: {app: db}}
    spec: {hostNetwork: true, containers: [{name: c, image: i, ports: [{name: pg, containerPort: 5432}]}]}
    status: {phase: Pending}
  - metadata: {name: client, labels: {app: client}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicyList
items:
  - metadata: {name: db, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: db}}
      ingress:
        - from: [{podSelector: {matchLabels: {app: web}}}]
          ports: [{port: pg}]
  - metadata: {name: web, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: web}}
      policyTypes: [Ingress, Egress]
      ingress:
        - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
          ports: [{port: http}, {protocol: UDP, port: 53, endPort: 60}]
      egress:
        - to: [{podSelector: {matchLabels: {app: db}}}]
`;

// Worked out by hand: db-0 admits only web on pg (5432), so nothing outside reaches it; web admits
// namespace default and 10.0.0.0/8 minus 10.1.0.0/16 on http (8080) and UDP 53-60, and sends only to db.
const WANT_TXT = [
  '0.0.0.0-9.255.255.255[External] => default/client[Pod] : All Connections',
  '10.0.0.0-10.0.255.255[External] => default/client[Pod] : All Connections',
  '10.0.0.0-10.0.255.255[External] => shop/web-5d8f[ReplicaSet] : TCP 8080,UDP 53-60',
  '10.1.0.0-10.1.255.255[External] => default/client[Pod] : All Connections',
  '10.2.0.0-10.255.255.255[External] => default/client[Pod] : All Connections',
  '10.2.0.0-10.255.255.255[External] => shop/web-5d8f[ReplicaSet] : TCP 8080,UDP 53-60',
  '11.0.0.0-255.255.255.255[External] => default/client[Pod] : All Connections',
  'default/client[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections',
  'default/client[Pod] => shop/web-5d8f[ReplicaSet] : TCP 8080,UDP 53-60',
  'shop/db-0[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections',
  'shop/db-0[Pod] => default/client[Pod] : All Connections',
  'shop/web-5d8f[ReplicaSet] => shop/db-0[Pod] : TCP 5432',
];

describe('cli: connectivity', () => {
  it("txt: netpol-analyzer's `src => dst : conn` lines, sorted by src then dst, from typed lists on stdin", async () => {
    const r = await run(['connectivity', '-'], { stdin: PODS });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.equal(r.out, `${WANT_TXT.join('\n')}\n`);
  });

  it('json: the same sorted array of {src, dst, conn}', async () => {
    const r = await run(['connectivity', '-', '--format', 'json'], { stdin: PODS });
    assert.equal(r.code, 0, r.err);
    const rows = JSON.parse(r.out) as { src: string; dst: string; conn: string }[];
    assert.deepEqual(
      rows.map((x) => `${x.src} => ${x.dst} : ${x.conn}`),
      WANT_TXT,
    );
    assert.deepEqual(Object.keys(rows[0]!), ['src', 'dst', 'conn']);
    assert.ok(r.out.startsWith('[\n  {\n    "src": '), r.out.slice(0, 40));
  });

  it('csv quotes a conn that holds commas; md is a table', async () => {
    const csv = await run(['connectivity', '-', '--format', 'csv'], { stdin: PODS });
    const lines = csv.out.trimEnd().split('\n');
    assert.equal(lines[0], 'src,dst,conn');
    assert.ok(lines.includes('default/client[Pod],shop/web-5d8f[ReplicaSet],"TCP 8080,UDP 53-60"'), csv.out);
    assert.equal(lines.length, WANT_TXT.length + 1);
    const md = await run(['connectivity', '-', '--format', 'md'], { stdin: PODS });
    assert.ok(md.out.startsWith('| src | dst | conn |\n|-----|-----|------|\n'), md.out);
    assert.ok(md.out.includes('| shop/web-5d8f[ReplicaSet] | shop/db-0[Pod] | TCP 5432 |\n'), md.out);
  });

  it('dot and mermaid draw namespaces as clusters and every connection as an edge', async () => {
    const dot = await run(['connectivity', '-', '--format', 'dot'], { stdin: PODS });
    assert.match(dot.out, /subgraph cluster_0 \{\n {4}label="default";/);
    assert.match(dot.out, /subgraph cluster_1 \{\n {4}label="shop";/);
    assert.equal((dot.out.match(/ -> /g) ?? []).length, WANT_TXT.length);
    const mermaid = await run(['connectivity', '-', '--format', 'mermaid'], { stdin: PODS });
    assert.ok(mermaid.out.startsWith('flowchart LR\n'));
    assert.match(mermaid.out, /subgraph ns1\["shop"\]/);
    assert.equal((mermaid.out.match(/-->\|/g) ?? []).length, WANT_TXT.length);
  });

  it('--focus NS/NAME keeps only the connections of that workload; an unknown one is exit 2', async () => {
    const r = await run(['connectivity', '-', '--focus', 'shop/db-0'], { stdin: PODS });
    assert.deepEqual(
      r.out.trimEnd().split('\n'),
      WANT_TXT.filter((l) => l.includes('shop/db-0[Pod]')),
    );
    const k = await run(['connectivity', '-', '--focus', 'shop/web-5d8f[ReplicaSet]'], { stdin: PODS });
    assert.deepEqual(
      k.out.trimEnd().split('\n'),
      WANT_TXT.filter((l) => l.includes('shop/web-5d8f[ReplicaSet]')),
    );
    const bad = await run(['connectivity', '-', '--focus', 'shop/nope'], { stdin: PODS });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /error USAGE: --focus shop\/nope: no workload/);
  });

  it('no manifests and no --cluster is a usage error (exit 2)', async () => {
    const r = await run(['connectivity']);
    assert.equal(r.code, 2);
    assert.match(r.err, /connectivity needs manifests/);
  });

  it('with a config: pipeline workloads carry their stage, and an undeclared stage-to-stage connection is a backdoor', async () => {
    const r = await run(['connectivity', '-c', 'examples/stagewall.yaml', 'examples/pipeline/manifests', 'examples/drift/drift.yaml']);
    assert.equal(r.code, 0, r.err);
    assert.ok(
      r.out.includes('etl-extract/extractor[Deployment] => etl-load/loader[StatefulSet] : TCP 8080  # stage etl/extract => etl/load BACKDOOR (undeclared)\n'),
      r.out,
    );
    assert.ok(r.out.includes('etl-transform/transformer[Deployment] => etl-load/loader[StatefulSet] : TCP 8080  # stage etl/transform => etl/load\n'), r.out);
    const json = JSON.parse(
      (await run(['connectivity', '-c', 'examples/stagewall.yaml', 'examples/pipeline/manifests', 'examples/drift/drift.yaml', '-f', 'json'])).out,
    ) as Record<string, unknown>[];
    assert.deepEqual(
      json.find((x) => x['src'] === 'etl-extract/extractor[Deployment]' && x['dst'] === 'etl-load/loader[StatefulSet]'),
      {
        src: 'etl-extract/extractor[Deployment]',
        dst: 'etl-load/loader[StatefulSet]',
        conn: 'TCP 8080',
        srcStage: 'etl/extract',
        dstStage: 'etl/load',
        backdoor: true,
      },
    );
  });

  it('an unknown kind is exit 2 unless --ignore-unknown', async () => {
    const crd =
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n';
    assert.equal((await run(['connectivity', '-'], { stdin: crd })).code, 2);
    const r = await run(['connectivity', '-', '--ignore-unknown'], { stdin: crd });
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes('default/a[Pod] => default/b[Pod] : All Connections\n'), r.out);
  });
});
