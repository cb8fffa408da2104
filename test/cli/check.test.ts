import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RULES } from '../../src/engine/rules/index.js';
import { run, STACK_LINE } from './fake-io.js';
import { findAll, parseXml } from './xml-check.js';

// Paths are relative to the repository root, where mocha runs, as a CI job would pass them.
const CONFIG = 'examples/stagewall.yaml';
const GOOD = 'examples/pipeline/manifests';
const BROKEN = 'examples/broken';
const BROKEN_FILE = join('examples', 'broken', 'broken.yaml');
/** Rules that can fire on a CREATE: the others judge UPDATE and DELETE only. */
const CREATE_RULES = RULES.map((r) => r.id).filter((id) => !['managed-policy-protected', 'pipeline-label-mismatch', 'pipeline-label-removed'].includes(id));
/** What examples/broken fires: every CREATE rule but flow-blocked, which needs a declared edge blocked, and added policies cannot block (they are additive). */
const BROKEN_RULES = CREATE_RULES.filter((id) => id !== 'flow-blocked');

interface JsonReport {
  summary: { objects: number; denied: number; warned: number; skipped: number };
  results: { kind: string; namespace: string; name: string; verdict: string; violations: { rule: string; severity: string; message: string }[] }[];
}

async function checkJson(...args: string[]): Promise<{ code: number; report: JsonReport }> {
  const r = await run(['check', '-c', CONFIG, '-o', 'json', ...args]);
  assert.equal(r.err, '', 'nothing on stderr');
  return { code: r.code, report: JSON.parse(r.out) as JsonReport };
}

describe('cli: stagewall check', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'stagewall-cli-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('exit codes and verdicts', () => {
    it('the good pipeline: exit 0, every object allowed', async () => {
      const r = await run(['check', '-c', CONFIG, GOOD]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '');
      assert.match(r.out, /^18 objects: 0 denied, 0 warned, 18 allowed, 0 skipped$/m);
      assert.doesNotMatch(r.out, /DENY|WARN/);
    });

    it('the broken set (with the good pipeline as the rest of the view): exit 1, every CREATE rule fires', async () => {
      const { code, report } = await checkJson(GOOD, BROKEN);
      assert.equal(code, 1);
      const fired = new Set(report.results.flatMap((r) => r.violations.map((v) => v.rule)));
      assert.deepEqual([...fired].sort(), [...BROKEN_RULES].sort());
      assert.equal(report.summary.denied, 11);
      assert.equal(report.summary.objects, 30);
    });

    it('without the Namespace manifests, the namespaces the config places stages in are still pipeline namespaces', async () => {
      const { code, report } = await checkJson(BROKEN);
      assert.equal(code, 1);
      const denied = report.results.filter((r) => r.verdict === 'deny').map((r) => `${r.kind} ${r.namespace}/${r.name}`);
      for (const name of ['Pod etl-transform/debug-shell', 'Pod etl-load/loader-hostnet', 'Deployment etl-transform/transformer-canary'])
        assert.ok(denied.includes(name), name);
    });

    it('audit mode: the same denials become warnings and exit 0', async () => {
      const audit = join(tmp, 'audit.yaml');
      writeFileSync(
        audit,
        'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\nmode: audit\npipelines:\n  - name: etl\n    stages: [{name: extract}, {name: transform}, {name: load}]\n',
      );
      const r = await run(['check', '-c', audit, '-o', 'json', GOOD, BROKEN]);
      assert.equal(r.code, 0, r.err);
      const report = JSON.parse(r.out) as JsonReport;
      assert.equal(report.summary.denied, 0);
      assert.ok(report.summary.warned >= 11);
      for (const res of report.results) for (const v of res.violations) assert.equal(v.severity, 'warn');
    });

    it('"-" reads manifests from stdin', async () => {
      const stdin = 'apiVersion: v1\nkind: Pod\nmetadata: {name: shell, namespace: etl-transform}\n';
      const r = await run(['check', '-c', CONFIG, '-o', 'json', GOOD, '-'], { stdin });
      assert.equal(r.code, 1, r.err);
      const report = JSON.parse(r.out) as JsonReport;
      const shell = report.results.find((x) => x.name === 'shell');
      assert.deepEqual(
        shell?.violations.map((v) => v.rule),
        ['stage-label-missing'],
      );
    });

    it('--namespace gives objects without one a namespace', async () => {
      const file = join(tmp, 'no-ns.yaml');
      writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: shell}\n');
      const inDefault = await checkJson(GOOD, file);
      assert.equal(inDefault.code, 0, 'default is not a pipeline namespace');
      const inTransform = await checkJson('--namespace', 'etl-transform', GOOD, file);
      assert.equal(inTransform.code, 1);
      const shell = inTransform.report.results.find((x) => x.name === 'shell');
      assert.equal(shell?.namespace, 'etl-transform');
      assert.deepEqual(
        shell?.violations.map((v) => v.rule),
        ['stage-label-missing'],
      );
    });

    it('--ignore-unknown skips custom resources; without it they are bad input', async () => {
      const file = join(tmp, 'crd.yaml');
      writeFileSync(file, 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n');
      const strict = await run(['check', '-c', CONFIG, GOOD, file]);
      assert.equal(strict.code, 2);
      const lenient = await checkJson('--ignore-unknown', GOOD, file);
      assert.equal(lenient.code, 0);
      assert.equal(lenient.report.summary.objects, 18, 'the custom resource is not counted as judged');
    });
  });

  describe('--output json', () => {
    it('has exactly the SPEC §6 shape', async () => {
      const { report } = await checkJson(GOOD, BROKEN);
      assert.deepEqual(Object.keys(report), ['summary', 'results']);
      assert.deepEqual(Object.keys(report.summary), ['objects', 'denied', 'warned', 'skipped']);
      for (const v of Object.values(report.summary)) assert.equal(typeof v, 'number');
      assert.equal(report.results.length, report.summary.objects);
      for (const res of report.results) {
        assert.deepEqual(Object.keys(res), ['kind', 'namespace', 'name', 'verdict', 'violations']);
        assert.ok(['allow', 'warn', 'deny'].includes(res.verdict));
        for (const k of ['kind', 'namespace', 'name'] as const) assert.equal(typeof res[k], 'string');
        for (const v of res.violations) {
          assert.deepEqual(Object.keys(v), ['rule', 'severity', 'message']);
          assert.ok(['deny', 'warn'].includes(v.severity));
          assert.match(v.message, /Fix: /);
        }
      }
      assert.equal(report.results.filter((r) => r.verdict === 'deny').length, report.summary.denied);
      assert.equal(report.results.filter((r) => r.verdict === 'warn').length, report.summary.warned);
    });

    it('names objects by kind, namespace and name', async () => {
      const { report } = await checkJson(GOOD, BROKEN);
      const canary = report.results.find((r) => r.name === 'transformer-canary');
      assert.deepEqual(
        { ...canary, violations: canary?.violations.map((v) => [v.rule, v.severity]) },
        {
          kind: 'Deployment',
          namespace: 'etl-transform',
          name: 'transformer-canary',
          verdict: 'deny',
          violations: [['stage-unknown', 'deny']],
        },
      );
      const ns = report.results.find((r) => r.name === 'ml-scratch');
      assert.equal(ns?.kind, 'Namespace');
      assert.equal(ns?.namespace, '', 'a cluster-scoped object has an empty namespace');
    });
  });

  describe('--output junit', () => {
    it('is well-formed XML with one testcase per object and failures = denied', async () => {
      const r = await run(['check', '-c', CONFIG, '-o', 'junit', GOOD, BROKEN]);
      assert.equal(r.code, 1);
      assert.ok(r.out.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
      const root = parseXml(r.out);
      assert.equal(root.name, 'testsuites');
      const cases = findAll(root, 'testcase');
      const failures = findAll(root, 'failure');
      assert.equal(cases.length, 30);
      assert.equal(failures.length, 11);
      assert.equal(root.attrs['tests'], '30');
      assert.equal(root.attrs['failures'], '11');
      const suite = findAll(root, 'testsuite')[0];
      assert.equal(suite?.attrs['tests'], '30');
      assert.equal(suite?.attrs['failures'], '11');
      const pod = cases.find((c) => c.attrs['name'] === 'Pod etl-adhoc/adhoc-extract');
      assert.equal(pod?.attrs['file'], BROKEN_FILE);
      assert.equal(pod?.attrs['line'], '22');
      const failure = pod?.children.find((c) => c.name === 'failure');
      assert.equal(failure?.attrs['message'], 'denied: ingress-uncovered, egress-uncovered');
      assert.match(failure?.text ?? '', /\[ingress-uncovered\] Pod etl-adhoc\/adhoc-extract is not selected/);
    });

    it('escapes markup in names and messages', async () => {
      const file = join(tmp, 'odd.yaml');
      writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a<b>&"c\'\n  namespace: etl-transform\n  labels: {stagewall.dev/stage: "x<&>"}\n');
      const r = await run(['check', '-c', CONFIG, '-o', 'junit', GOOD, file]);
      const root = parseXml(r.out);
      const odd = findAll(root, 'testcase').find((c) => c.attrs['name'] === 'Pod etl-transform/a<b>&"c\'');
      assert.ok(odd, 'the name survives escaping');
      assert.match(findAll(odd, 'failure')[0]?.text ?? '', /stagewall\.dev\/stage=x<&>/);
    });

    it('warnings go to system-out, not failures', async () => {
      const file = join(tmp, 'warn.yaml');
      // workloadCoverage is deny in the examples: use a config where it is warn.
      const cfg = join(tmp, 'warn-config.yaml');
      writeFileSync(cfg, 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\npipelines:\n  - name: etl\n    stages: [{name: extract}]\n');
      writeFileSync(
        file,
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: etl, labels: {stagewall.dev/pipeline: etl}}\n---\n' +
          'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: etl}\nspec:\n  template:\n    metadata: {labels: {stagewall.dev/stage: extract}}\n',
      );
      const r = await run(['check', '-c', cfg, '-o', 'junit', file]);
      assert.equal(r.code, 0);
      const root = parseXml(r.out);
      assert.equal(root.attrs['failures'], '0');
      assert.equal(findAll(root, 'failure').length, 0);
      assert.match(findAll(root, 'system-out')[0]?.text ?? '', /\[ingress-uncovered\]/);
    });
  });

  describe('--output sarif', () => {
    interface Sarif {
      version: string;
      runs: {
        tool: { driver: { name: string; rules: { id: string }[] } };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          message: { text: string };
          locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
        }[];
      }[];
    }
    it('is SARIF 2.1.0 with one result per violation, located at file and line', async () => {
      const r = await run(['check', '-c', CONFIG, '-o', 'sarif', GOOD, BROKEN]);
      assert.equal(r.code, 1);
      const sarif = JSON.parse(r.out) as Sarif;
      assert.equal(sarif.version, '2.1.0');
      assert.equal(sarif.runs.length, 1);
      const run0 = sarif.runs[0]!;
      assert.equal(run0.tool.driver.name, 'stagewall');
      assert.deepEqual(
        run0.tool.driver.rules.map((x) => x.id),
        RULES.map((x) => x.id),
      );
      const json = (await checkJson(GOOD, BROKEN)).report;
      assert.equal(
        run0.results.length,
        json.results.reduce((n, x) => n + x.violations.length, 0),
      );
      for (const res of run0.results) {
        assert.ok(CREATE_RULES.includes(res.ruleId), res.ruleId);
        assert.equal(run0.tool.driver.rules[res.ruleIndex]?.id, res.ruleId, 'ruleIndex points at the rule');
        assert.equal(res.level, 'error');
        const loc = res.locations[0]!.physicalLocation;
        assert.equal(loc.artifactLocation.uri, 'examples/broken/broken.yaml');
        assert.ok(Number.isInteger(loc.region.startLine) && loc.region.startLine >= 1);
      }
      const hostnet = run0.results.find((x) => x.ruleId === 'host-network');
      assert.equal(hostnet?.locations[0]?.physicalLocation.region.startLine, 65);
      assert.match(hostnet?.message.text ?? '', /^Pod etl-load\/loader-hostnet sets hostNetwork/);
    });

    it('warnings are level warning', async () => {
      const cfg = join(tmp, 'audit-sarif.yaml');
      writeFileSync(
        cfg,
        'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\nmode: audit\npipelines:\n  - name: etl\n    stages: [{name: extract}, {name: transform}, {name: load}]\n',
      );
      const r = await run(['check', '-c', cfg, '-o', 'sarif', GOOD, BROKEN]);
      const sarif = JSON.parse(r.out) as Sarif;
      assert.ok(sarif.runs[0]!.results.length > 0);
      assert.ok(sarif.runs[0]!.results.every((x) => x.level === 'warning'));
    });
  });

  describe('--output text', () => {
    it('without colour when io.color is false', async () => {
      const r = await run(['check', '-c', CONFIG, GOOD, BROKEN], { color: false });
      assert.equal(r.code, 1);
      assert.ok(!r.out.includes('\u001b['), 'no ANSI escape in the output');
      assert.match(r.out, /^DENY Pod etl-load\/loader-hostnet \(examples\/broken\/broken\.yaml:65\)$/m);
      assert.match(r.out, /^ {2}host-network: Pod etl-load\/loader-hostnet sets hostNetwork: true/m);
      assert.match(r.out, /^30 objects: 11 denied, 0 warned, 19 allowed, 0 skipped$/m);
    });
    it('with colour when io.color is true', async () => {
      const r = await run(['check', '-c', CONFIG, GOOD, BROKEN], { color: true });
      assert.ok(r.out.includes('\u001b[31mDENY\u001b[0m'), 'DENY in red');
    });
    it('the default output is text', async () => {
      const r = await run(['check', '-c', CONFIG, GOOD, BROKEN]);
      assert.match(r.out, /^DENY /m);
    });
  });

  describe('bad input: exit 2, a clear message on stderr, no stack trace', () => {
    const cases: { name: string; files?: Record<string, string>; args: (dir: string) => string[]; err: RegExp[] }[] = [
      {
        name: 'malformed YAML names the file and line',
        files: { 'bad.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: [}\n' },
        args: (d) => ['check', '-c', CONFIG, join(d, 'bad.yaml')],
        err: [/error MANIFEST_YAML/, /bad\.yaml:4: not valid YAML/],
      },
      {
        name: 'an unknown kind names the file and line',
        files: { 'kind.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: example.com/v1\nkind: Widget\n' },
        args: (d) => ['check', '-c', CONFIG, join(d, 'kind.yaml')],
        err: [/error MANIFEST_KIND/, /kind\.yaml:5: Widget \(unnamed\): unknown apiVersion\/kind "example\.com\/v1" "Widget"/],
      },
      {
        name: 'an old apiVersion of a judged kind',
        files: { 'old.yaml': 'apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: a}\n' },
        args: (d) => ['check', '-c', CONFIG, join(d, 'old.yaml')],
        err: [/error MANIFEST_KIND/, /old\.yaml:1: NetworkPolicy a: apiVersion must be networking\.k8s\.io\/v1 for a NetworkPolicy/],
      },
      {
        name: 'a missing manifest file',
        args: (d) => ['check', '-c', CONFIG, join(d, 'missing.yaml')],
        err: [/error MANIFEST_READ/, /missing\.yaml: no such file or directory/],
      },
      {
        name: 'an invalid config lists every schema error with its path',
        files: { 'config.yaml': 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\nmode: strict\nworkloadCoverage: maybe\npipelines: []\n' },
        args: (d) => ['check', '-c', join(d, 'config.yaml'), GOOD],
        err: [
          /error CONFIG_SCHEMA/,
          /config\.yaml: invalid StagewallConfig \(2 errors\)/,
          /- \/mode: must be one of "enforce", "audit", "off"/,
          /- \/workloadCoverage: must be one of "warn", "deny"/,
        ],
      },
      {
        name: 'an inconsistent config names the problem',
        files: {
          'semantic.yaml': 'apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\npipelines:\n  - name: etl\n    stages: [{name: a, egressTo: [nope]}]\n',
        },
        args: (d) => ['check', '-c', join(d, 'semantic.yaml'), GOOD],
        err: [/error CONFIG_SEMANTIC/, /\/pipelines\/0\/stages\/0\/egressTo\/0: unknown stage "nope"/],
      },
      {
        name: 'a config that is not YAML',
        files: { 'notyaml.yaml': 'mode: [\n' },
        args: (d) => ['check', '-c', join(d, 'notyaml.yaml'), GOOD],
        err: [/error CONFIG_YAML/],
      },
      { name: 'a missing config file', args: (d) => ['check', '-c', join(d, 'none.yaml'), GOOD], err: [/error CONFIG_READ/, /none\.yaml/] },
      {
        name: 'an invalid selector in a policy names the file and line',
        files: {
          'sel.yaml':
            'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: x}\nspec:\n  podSelector:\n    matchExpressions: [{key: a, operator: Has}]\n',
        },
        args: (d) => ['check', '-c', CONFIG, join(d, 'sel.yaml')],
        err: [/error SELECTOR_INVALID/, /sel\.yaml:1: /, /unknown operator "Has"/],
      },
      {
        name: 'an invalid CIDR in a policy names the file and line',
        files: {
          'cidr.yaml':
            'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: x}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.300/8}}]}]\n',
        },
        args: (d) => ['check', '-c', CONFIG, join(d, 'cidr.yaml')],
        err: [/error CIDR_INVALID/, /cidr\.yaml:1: NetworkPolicy x\/np spec\.ingress\[0\] peer 0 ipBlock\.cidr: "10\.0\.0\.300\/8" is not a valid CIDR/],
      },
      {
        name: 'a field of the wrong shape names the file, line and field',
        files: {
          'shape.yaml':
            'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: etl-load}\nspec:\n  podSelector: {}\n  ingress: {from: []}\n',
        },
        args: (d) => ['check', '-c', CONFIG, GOOD, join(d, 'shape.yaml')],
        err: [/error MANIFEST_SHAPE/, /shape\.yaml:1: NetworkPolicy etl-load\/np: spec\.ingress must be a list, not a mapping/],
      },
      { name: 'no path at all', args: () => ['check', '-c', CONFIG], err: [/missing required argument 'paths'/] },
      { name: 'an unknown output format', args: () => ['check', '-c', CONFIG, '-o', 'xml', GOOD], err: [/xml/, /text, json, junit, sarif, markdown/] },
      { name: 'an unknown --fail-on', args: () => ['check', '-c', CONFIG, '--fail-on', 'error', GOOD], err: [/error/, /deny, warn/] },
      { name: 'an unknown command', args: () => ['lint', GOOD], err: [/unknown command 'lint'/] },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(join(tmp, name), text);
        const r = await run(c.args(tmp));
        assert.equal(r.code, 2, `exit code; stderr: ${r.err}`);
        assert.equal(r.out, '', 'no report on stdout');
        for (const m of c.err) assert.match(r.err, m);
        assert.doesNotMatch(r.err, STACK_LINE, 'no stack trace');
        assert.doesNotMatch(r.err, /internal error/);
      });
    }
  });

  it('--help and --version exit 0', async () => {
    assert.equal((await run(['--version'])).code, 0);
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.out, /npx stagewall <command>/, 'says how to run it from a clone');
    assert.match(top.out, /npm install -g \. or npm link puts stagewall on PATH/);
    const help = await run(['check', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /--output <format>/);
  });
});
