// examples/ci (issue 12): the GitHub Actions workflow and the GitLab CI job run as written. Their
// check steps are run here with bash, stagewall on PATH as `npm install -g` would put it, against
// the repository's examples; the install steps need the network and are only read.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { findAll, parseXml } from './xml-check.js';

interface Step {
  id?: string;
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, string>;
}
const workflow = parse(readFileSync('examples/ci/github-actions.yml', 'utf8')) as {
  env: Record<string, string>;
  permissions: Record<string, string>;
  jobs: { check: { steps: Step[] } };
};
const gitlab = parse(readFileSync('examples/ci/gitlab-ci.yml', 'utf8')) as {
  stagewall: { variables: Record<string, string>; before_script: string[]; script: string[]; artifacts: { when: string; reports: { junit: string } } };
};

const GOOD = resolve('examples/pipeline/manifests');
const DRIFT = `${GOOD} ${resolve('examples/drift/drift.yaml')}`;

/** A folder with `stagewall` on PATH, as `npm install -g` links the package's bin. */
function shim(dir: string): string {
  const bin = join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'stagewall'), `#!/bin/sh\nexec "${process.execPath}" "${resolve('bin/stagewall.js')}" "$@"\n`);
  chmodSync(join(bin, 'stagewall'), 0o755);
  return `${bin}:${process.env['PATH'] ?? ''}`;
}

function bash(script: string, cwd: string, env: Record<string, string>) {
  return spawnSync('bash', ['-e', '-c', script], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('examples/ci', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'stagewall-ci-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  describe('GitHub Actions: Markdown to the step summary, SARIF to code scanning, then the exit code', () => {
    const steps = workflow.jobs.check.steps;
    const check = steps.find((s) => s.id === 'check');
    it('installs stagewall from its repository onto PATH, and may upload SARIF', () => {
      const install = steps.find((s) => s.name === 'Install stagewall')?.run ?? '';
      assert.match(install, /npm ci --prefix \.stagewall/);
      assert.match(install, /npm install -g \.\/\.stagewall/);
      assert.equal(workflow.permissions['security-events'], 'write');
      const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif'));
      assert.equal(upload?.with?.['sarif_file'], 'stagewall.sarif');
      assert.equal(upload?.if, "steps.check.outputs.sarif == 'true'");
    });
    const rows: { name: string; manifests: string; status: string; summary: RegExp }[] = [
      { name: 'a passing pipeline: status 0', manifests: GOOD, status: '0', summary: /✅ \*\*18 objects: 0 denied/ },
      { name: 'drift: status 1, findings and the flow in the summary', manifests: DRIFT, status: '1', summary: /❌ \*\*21 objects: 3 denied[\s\S]*```mermaid/ },
    ];
    for (const row of rows) {
      it(row.name, () => {
        const summary = join(tmp, 'summary.md');
        const output = join(tmp, 'output');
        writeFileSync(summary, '');
        writeFileSync(output, '');
        const r = bash(check?.run ?? 'false', tmp, {
          ...workflow.env,
          STAGEWALL_CONFIG: resolve('examples/stagewall.yaml'),
          MANIFESTS: row.manifests,
          GITHUB_STEP_SUMMARY: summary,
          GITHUB_OUTPUT: output,
          PATH: shim(tmp),
        });
        assert.equal(r.status, 0, r.stderr);
        assert.match(readFileSync(summary, 'utf8'), row.summary);
        assert.deepEqual(readFileSync(output, 'utf8').trim().split('\n'), [`status=${row.status}`, 'sarif=true']);
        assert.equal(JSON.parse(readFileSync(join(tmp, 'stagewall.sarif'), 'utf8')).version, '2.1.0');
        assert.equal(steps.at(-1)?.if, "steps.check.outputs.status != '0'", 'the last step fails the job');
      });
    }
    it('bad input: status 2 and no SARIF to upload', () => {
      const output = join(tmp, 'output');
      writeFileSync(output, '');
      writeFileSync(join(tmp, 'empty.yaml'), '');
      const r = bash(check?.run ?? 'false', tmp, {
        STAGEWALL_CONFIG: resolve('examples/stagewall.yaml'),
        MANIFESTS: join(tmp, 'empty.yaml'),
        GITHUB_STEP_SUMMARY: join(tmp, 'summary.md'),
        GITHUB_OUTPUT: output,
        PATH: shim(tmp),
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readFileSync(output, 'utf8').trim(), 'status=2');
    });
  });

  describe('GitLab CI: the JUnit report, and the job fails on denials', () => {
    const job = gitlab.stagewall;
    it('installs stagewall onto PATH and uploads the report always', () => {
      assert.ok(job.before_script.some((l) => l.startsWith('npm install -g ')));
      assert.equal(job.artifacts.when, 'always');
      assert.equal(job.artifacts.reports.junit, 'stagewall-junit.xml');
    });
    const rows: { name: string; manifests: string; code: number; failures: string }[] = [
      { name: 'a passing pipeline: the job passes', manifests: GOOD, code: 0, failures: '0' },
      { name: 'drift: the job fails, the report has the denials', manifests: DRIFT, code: 1, failures: '3' },
    ];
    for (const row of rows) {
      it(row.name, () => {
        const env = { ...job.variables, STAGEWALL_CONFIG: resolve('examples/stagewall.yaml'), MANIFESTS: row.manifests, PATH: shim(tmp) };
        // GitLab runs the script lines in order and stops at the first that fails.
        const results = job.script.map((line) => bash(line, tmp, env));
        assert.equal(results[0]?.status, 0, 'the log line never fails');
        assert.equal(results.at(-1)?.status, row.code);
        const root = parseXml(readFileSync(join(tmp, job.artifacts.reports.junit), 'utf8'));
        assert.equal(root.attrs['failures'], row.failures);
        assert.ok(findAll(root, 'testcase').length >= 18);
      });
    }
  });
});
