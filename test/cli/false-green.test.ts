// No false green (issue 12): empty input is not a pass, skipped objects are counted in every
// format, and --fail-on warn lets warnings fail a run.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, STACK_LINE } from './fake-io.js';
import { findAll, parseXml } from './xml-check.js';

const CONFIG = 'examples/stagewall.yaml';
const GOOD = 'examples/pipeline/manifests';
const DRIFT = 'examples/drift/drift.yaml';
const FORMATS = ['text', 'json', 'junit', 'sarif', 'markdown'] as const;

describe('cli: check gives no false green', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'stagewall-green-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('input without any object is exit 2, unless --allow-empty', () => {
    const rows: { name: string; text: string; stdin?: boolean }[] = [
      { name: 'an empty file (a failed `helm template > out.yaml`)', text: '' },
      { name: 'a file of only comments and ---', text: '# rendered by helm\n---\n# nothing\n---\n...\n' },
      { name: 'empty stdin', text: '', stdin: true },
      { name: 'an empty List', text: 'apiVersion: v1\nkind: List\nitems: []\n' },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const file = join(tmp, 'empty.yaml');
        writeFileSync(file, row.text);
        const input = row.stdin ? '-' : file;
        for (const output of FORMATS) {
          const r = await run(['check', '-c', CONFIG, '-o', output, input], row.stdin ? { stdin: row.text } : {});
          assert.equal(r.code, 2, `${output}: ${r.out}`);
          assert.equal(r.out, '', 'no report');
          assert.match(r.err, /error MANIFEST_EMPTY: no objects in (stdin|\S+empty\.yaml)/);
          assert.match(r.err, /--allow-empty/);
          assert.doesNotMatch(r.err, STACK_LINE);
        }
        const allowed = await run(['check', '-c', CONFIG, '-o', 'json', '--allow-empty', input], row.stdin ? { stdin: row.text } : {});
        assert.equal(allowed.code, 0, allowed.err);
        assert.deepEqual(JSON.parse(allowed.out).summary, { objects: 0, denied: 0, warned: 0, skipped: 0 });
      });
    }
    it('an empty file beside real manifests is fine: the input holds objects', async () => {
      const file = join(tmp, 'blank.yaml');
      writeFileSync(file, '');
      const r = await run(['check', '-c', CONFIG, GOOD, file]);
      assert.equal(r.code, 0, r.err);
    });
  });

  describe('skipped objects are counted in every format', () => {
    const skippedFile = () => {
      const file = join(tmp, 'skipped.yaml');
      writeFileSync(
        file,
        'apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: etl-load}\n---\n' +
          'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: etl-load}\n---\n' +
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\n',
      );
      return file;
    };
    const rows: { output: (typeof FORMATS)[number]; check: (out: string) => void }[] = [
      {
        output: 'text',
        check: (out) => {
          assert.match(out, /^18 objects: 0 denied, 0 warned, 18 allowed, 3 skipped$/m);
          assert.match(out, /skipped, not judged: Service etl-load\/api \(\S+skipped\.yaml:1\), Widget etl-load\/w \(\S+:5\), ClusterRole reader \(\S+:9\)/);
        },
      },
      {
        output: 'json',
        check: (out) => {
          const report = JSON.parse(out);
          assert.deepEqual(report.summary, { objects: 18, denied: 0, warned: 0, skipped: 3 });
          assert.equal(report.results.length, 18, 'results stay the judged objects (SPEC §6)');
        },
      },
      {
        output: 'junit',
        check: (out) => {
          const root = parseXml(out);
          assert.equal(root.attrs['tests'], '21');
          assert.equal(root.attrs['skipped'], '3');
          assert.equal(findAll(root, 'testsuite')[0]?.attrs['skipped'], '3');
          const skipped = findAll(root, 'skipped');
          assert.equal(skipped.length, 3);
          assert.deepEqual(
            skipped.map((s) => s.attrs['message']),
            ['not judged by stagewall', 'unknown kind (--ignore-unknown)', 'not judged by stagewall'],
          );
        },
      },
      {
        output: 'sarif',
        check: (out) => {
          const run0 = JSON.parse(out).runs[0];
          assert.deepEqual(run0.properties.summary, { objects: 18, denied: 0, warned: 0, skipped: 3 });
          const notes = run0.invocations[0].toolExecutionNotifications;
          assert.equal(notes.length, 3);
          assert.match(notes[1].message.text, /^skipped Widget etl-load\/w: unknown kind/);
          assert.equal(notes[1].locations[0].physicalLocation.region.startLine, 5);
        },
      },
      {
        output: 'markdown',
        check: (out) => {
          assert.match(out, /\*\*18 objects: 0 denied, 0 warned, 18 allowed, 3 skipped\*\*/);
          assert.match(out, /<summary>⏭️ 3 objects skipped, not judged<\/summary>/);
          assert.match(out, /^\| `Widget etl-load\/w` \| `\S+skipped\.yaml:5` \| unknown kind \(--ignore-unknown\) \|$/m);
        },
      },
    ];
    for (const row of rows) {
      it(row.output, async () => {
        const r = await run(['check', '-c', CONFIG, '-o', row.output, '--ignore-unknown', GOOD, skippedFile()]);
        assert.equal(r.code, 0, r.err);
        row.check(r.out);
      });
    }
    it('text names the first 10 skipped objects and counts them all', async () => {
      const file = join(tmp, 'many.yaml');
      writeFileSync(
        file,
        Array.from({ length: 12 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}, namespace: etl-load}\n`).join('---\n'),
      );
      const r = await run(['check', '-c', CONFIG, GOOD, file]);
      assert.match(r.out, /ConfigMap etl-load\/c9 \(\S+\), and 2 more \(-o junit, sarif or markdown lists them all\)$/m);
      assert.doesNotMatch(r.out, /c10/);
      assert.match(r.out, /^18 objects: 0 denied, 0 warned, 18 allowed, 12 skipped$/m);
    });

    it('input of only skipped objects holds objects: not an empty-input error, and says 0 judged', async () => {
      const r = await run(['check', '-c', CONFIG, '--ignore-unknown', skippedFile()]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^0 objects: 0 denied, 0 warned, 0 allowed, 3 skipped$/m);
    });
  });

  describe('--fail-on deny|warn', () => {
    // A run whose only finding is the flow-blocked warning: examples/drift's edited stage policy alone.
    const warnOnly = () => {
      const file = join(tmp, 'warn-only.yaml');
      writeFileSync(
        file,
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: stagewall-etl-transform, namespace: etl-transform}\nspec:\n' +
          '  podSelector: {matchLabels: {stagewall.dev/pipeline: etl, stagewall.dev/stage: transform}}\n  policyTypes: [Ingress]\n  ingress: []\n',
      );
      return file;
    };
    const rows: { name: string; args: string[]; code: number; failures: string }[] = [
      { name: 'default (deny): a warning alone exits 0, JUnit failures="0"', args: [], code: 0, failures: '0' },
      { name: '--fail-on deny: the same', args: ['--fail-on', 'deny'], code: 0, failures: '0' },
      { name: '--fail-on warn: a warning exits 1 and its object is a JUnit failure', args: ['--fail-on', 'warn'], code: 1, failures: '1' },
    ];
    for (const row of rows) {
      it(row.name, async () => {
        const json = await run(['check', '-c', CONFIG, '-o', 'json', ...row.args, GOOD, warnOnly()]);
        const report = JSON.parse(json.out);
        assert.equal(report.summary.denied, 0);
        assert.equal(report.summary.warned, 1, 'flow-blocked on Namespace etl-transform');
        assert.equal(json.code, row.code);
        for (const output of FORMATS) assert.equal((await run(['check', '-c', CONFIG, '-o', output, ...row.args, GOOD, warnOnly()])).code, row.code, output);
        const root = parseXml((await run(['check', '-c', CONFIG, '-o', 'junit', ...row.args, GOOD, warnOnly()])).out);
        assert.equal(root.attrs['failures'], row.failures);
        const failures = findAll(root, 'failure');
        assert.equal(failures.length, Number(row.failures));
        if (failures[0]) {
          assert.equal(failures[0].attrs['type'], 'warn');
          assert.equal(failures[0].attrs['message'], 'warned: flow-blocked');
        }
      });
    }
    it('--fail-on warn still fails on denials', async () => {
      const r = await run(['check', '-c', CONFIG, '--fail-on', 'warn', GOOD, DRIFT]);
      assert.equal(r.code, 1);
    });
  });
});
