import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// What the Docker image does, without Docker: production dependencies only, then run the CLI.
describe('package: runs with production dependencies only (as in the image)', function () {
  this.timeout(180_000);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    engines: { node: string };
    dependencies: Record<string, string>;
    bin: Record<string, string>;
  };

  it('declares an honest engines range and a bin', () => {
    assert.equal(pkg.engines.node, '>=20.19');
    assert.equal(pkg.bin['stagewall'], 'bin/stagewall.js');
    assert.match(pkg.dependencies['@kubernetes/client-node'] ?? '', /^\^?1\./, 'the 1.x line: 2.x does not load on Node 20');
  });

  it('npm ci --omit=dev, then `stagewall rules` and `stagewall check` work', () => {
    // dist/ is there: `npm test` builds first (pretest).
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-prod-'));
    try {
      for (const item of ['package.json', 'package-lock.json', 'bin', 'dist', 'examples', 'hack', 'tsconfig.json'])
        cpSync(item, join(dir, item), { recursive: true });
      const install = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, encoding: 'utf8' });
      assert.equal(install.status, 0, install.stderr);
      assert.ok(!existsSync(join(dir, 'node_modules', 'typescript')), 'no dev dependency installed');
      const rules = spawnSync(process.execPath, ['bin/stagewall.js', 'rules'], { cwd: dir, encoding: 'utf8' });
      assert.equal(rules.status, 0, rules.stderr);
      assert.match(rules.stdout, /stage-label-missing/);
      const check = spawnSync(process.execPath, ['bin/stagewall.js', 'check', '-c', 'examples/stagewall.yaml', 'examples/pipeline/manifests'], {
        cwd: dir,
        encoding: 'utf8',
      });
      assert.equal(check.status, 0, check.stderr);
      // prepare (run by a plain `npm ci --omit=dev` too) skips the build without TypeScript, and
      // says so; packing there fails rather than ship a package that may lack dist/.
      const prepare = spawnSync('npm', ['run', 'prepare'], { cwd: dir, encoding: 'utf8' });
      assert.equal(prepare.status, 0, prepare.stderr);
      assert.match(prepare.stderr, /TypeScript is not installed \(a production-only install\), so dist\/ is not built/);
      const pack = spawnSync('npm', ['pack', '--dry-run', '--ignore-scripts=false'], { cwd: dir, encoding: 'utf8' });
      assert.notEqual(pack.status, 0, 'npm pack without TypeScript fails');
      assert.match(pack.stderr, /cannot build dist\/ for the package/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
