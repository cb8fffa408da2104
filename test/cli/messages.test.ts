// Messages a user meets (issue 12): every bad-input message names the object (kind
// namespace/name) and the field besides file:line; schema errors are one line per field; a YAML
// error in the config keeps its snippet; an uncovered pod's fix snippet is printed once.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, STACK_LINE } from './fake-io.js';

const CONFIG = 'examples/stagewall.yaml';
const GOOD = 'examples/pipeline/manifests';
const NP = (spec: string) =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: etl-load}\nspec:\n  podSelector: {}\n${spec}`;

describe('cli: messages', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'stagewall-messages-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('bad input names file:line, the object and the field', () => {
    const rows: { name: string; text: string; want: RegExp }[] = [
      {
        name: 'a bad CIDR in an ipBlock',
        text: NP('  ingress: [{from: [{ipBlock: {cidr: 10.0.0.300/8}}]}]\n'),
        want: /f\.yaml:1: NetworkPolicy etl-load\/np spec\.ingress\[0\] peer 0 ipBlock\.cidr: "10\.0\.0\.300\/8" is not a valid CIDR/,
      },
      {
        name: 'a bad CIDR in an except',
        text: NP('  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0]}}]}]\n'),
        want: /f\.yaml:1: NetworkPolicy etl-load\/np spec\.egress\[0\] peer 0 ipBlock\.except\[0\]: "10\.1\.0\.0" is not a valid CIDR/,
      },
      {
        name: 'an except outside its CIDR',
        text: NP('  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/9]}}]}]\n'),
        want: /f\.yaml:1: NetworkPolicy etl-load\/np spec\.ingress\[0\] peer 0: except 11\.0\.0\.0\/9 is not strictly inside/,
      },
      {
        name: 'a bad selector operator',
        text: NP('  ingress: [{from: [{podSelector: {matchExpressions: [{key: a, operator: Has}]}}]}]\n'),
        want: /f\.yaml:1: NetworkPolicy etl-load\/np spec\.ingress\[0\] peer 0\.podSelector: unknown operator "Has"/,
      },
      {
        name: 'a field of the wrong shape',
        text: NP('  ingress: {from: []}\n'),
        want: /f\.yaml:1: NetworkPolicy etl-load\/np: spec\.ingress must be a list, not a mapping/,
      },
      { name: 'a missing kind', text: 'apiVersion: v1\nmetadata: {name: p, namespace: etl-load}\n', want: /f\.yaml:1: object etl-load\/p: kind is missing/ },
      {
        name: 'an unknown kind',
        text: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: etl-load}\n',
        want: /f\.yaml:1: Widget etl-load\/w: unknown apiVersion\/kind/,
      },
      {
        name: 'an old apiVersion',
        text: 'apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: d, namespace: etl-load}\n',
        want: /f\.yaml:1: Deployment etl-load\/d: apiVersion must be apps\/v1 for a Deployment, not "apps\/v1beta1"/,
      },
      {
        name: 'metadata that is not a mapping',
        text: 'apiVersion: v1\nkind: Pod\nmetadata: [p]\n',
        want: /f\.yaml:1: Pod \(unnamed\): metadata must be a mapping, not a list/,
      },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const file = join(tmp, 'f.yaml');
        writeFileSync(file, row.text);
        const r = await run(['check', '-c', CONFIG, GOOD, file]);
        assert.equal(r.code, 2, r.out);
        assert.match(r.err, row.want);
        assert.doesNotMatch(r.err, STACK_LINE);
      });
    }
  });

  describe('config schema errors: one line per field, not one per anyOf branch', () => {
    const head = 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\npipelines:\n  - name: etl\n    stages:\n      - name: a\n';
    const rows: { name: string; yaml: string; lines: string[] }[] = [
      { name: 'a port below 1 (was five lines)', yaml: '        ports: [{port: -1}]\n', lines: ['/pipelines/0/stages/0/ports/0/port: must be >= 1'] },
      { name: 'a port of no accepted type', yaml: '        ports: ["http"]\n', lines: ['/pipelines/0/stages/0/ports/0: must be an integer or a mapping'] },
      {
        name: 'a named port with a bad name',
        yaml: '        ports: [{port: Bad_Name}]\n',
        lines: ['/pipelines/0/stages/0/ports/0/port: must match pattern "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"'],
      },
      {
        name: 'an external entry that is a number',
        yaml: '        egressExternal: [5]\n',
        lines: ['/pipelines/0/stages/0/egressExternal/0: must be a string or a mapping'],
      },
      {
        name: 'two bad items: one line each, each at its own path',
        yaml: '        ports: [{port: 0}, {port: 80, protocol: tcp}]\n',
        lines: ['/pipelines/0/stages/0/ports/0/port: must be >= 1', '/pipelines/0/stages/0/ports/1/protocol: must be one of "TCP", "UDP", "SCTP"'],
      },
      { name: 'missing fields: one line each', yaml: '      - ports: [80]\n', lines: ['/pipelines/0/stages/1/name: is required'] },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const config = join(tmp, 'config.yaml');
        writeFileSync(config, head + row.yaml);
        const r = await run(['check', '-c', config, GOOD]);
        assert.equal(r.code, 2);
        const details = r.err
          .split('\n')
          .filter((l) => l.startsWith('  - '))
          .map((l) => l.slice(4));
        assert.deepEqual(details, row.lines, r.err);
        assert.match(r.err, new RegExp(`invalid StagewallConfig \\(${row.lines.length} errors?\\)`));
      });
    }
  });

  it('a YAML error in the config keeps its snippet: the line and a caret, not a dangling "column 7:"', async () => {
    const config = join(tmp, 'bad.yaml');
    writeFileSync(config, 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\nmode: {enforce\n');
    const r = await run(['check', '-c', config, GOOD]);
    assert.equal(r.code, 2);
    const lines = r.err.trimEnd().split('\n');
    const at = lines.findIndex((l) => /^ {2}- .* at line \d+, column \d+:$/.test(l));
    assert.ok(at > 0, r.err);
    assert.ok(lines.length > at + 2, `a snippet after "${lines[at]}"`);
    const caret = lines.slice(at + 1).find((l) => /^ +\^$/.test(l));
    assert.ok(caret, `a caret line: ${r.err}`);
    assert.doesNotMatch(r.err.trimEnd(), /column \d+:$/);
  });

  it('text: the fix snippet of an uncovered pod is printed once per object', async () => {
    const file = join(tmp, 'uncovered.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: etl-adhoc, labels: {stagewall.dev/pipeline: etl}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: etl-adhoc, labels: {stagewall.dev/stage: load}}\n',
    );
    const r = await run(['check', '-c', CONFIG, file]);
    assert.equal(r.code, 1);
    assert.equal(r.out.match(/kind: NetworkPolicy/g)?.length, 1, r.out);
    assert.match(r.out, /^ {2}ingress-uncovered: .* Fix: apply a policy that selects it, for example:$/m);
    assert.match(r.out, /^ {2}egress-uncovered: .* for example: \(the same policy as for ingress-uncovered, above\)$/m);
    // JUnit likewise, in the failure's text.
    const junit = (await run(['check', '-c', CONFIG, '-o', 'junit', file])).out;
    assert.equal(junit.match(/kind: NetworkPolicy/g)?.length, 1, junit);
    assert.match(junit, /\[egress-uncovered\] .* for example: \(the same policy as for ingress-uncovered, above\)/);
    // json keeps each message whole: the webhook and the CLI print identical messages.
    const json = JSON.parse((await run(['check', '-c', CONFIG, '-o', 'json', file])).out);
    const pod = json.results.find((x: { name: string }) => x.name === 'p');
    for (const v of pod.violations) assert.match(v.message, /kind: NetworkPolicy/);
  });
});
