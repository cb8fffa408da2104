// `prepare` builds dist/ (issue 12): `npm pack` from a clone that was never built ships dist/, and
// the package's bin runs from it. (test/package.test.ts covers a production-only install.)
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

describe('package: prepare builds dist/', function () {
  this.timeout(240_000);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; files: string[] };

  it('package.json runs hack/prepare.mjs as prepare, and ships dist/ and the schema', () => {
    assert.equal(pkg.scripts['prepare'], 'node hack/prepare.mjs');
    for (const f of ['bin', 'dist', 'stagewall.schema.json']) assert.ok(pkg.files.includes(f), f);
  });

  it('npm pack in a clone without dist/ builds it and packs it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-clone-'));
    try {
      for (const item of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'bin', 'hack', 'examples', 'stagewall.schema.json', 'README.md'])
        cpSync(item, join(dir, item), { recursive: true });
      symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir'); // the clone's `npm ci`, without the network
      assert.ok(!existsSync(join(dir, 'dist')));
      const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts=false'], { cwd: dir, encoding: 'utf8' });
      assert.equal(pack.status, 0, pack.stderr);
      const files = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
      for (const f of ['dist/cli/entry.js', 'dist/config/validate.generated.js', 'bin/stagewall.js', 'stagewall.schema.json'])
        assert.ok(files.includes(f), `${f} is packed`);
      const version = spawnSync(process.execPath, ['bin/stagewall.js', 'version'], { cwd: dir, encoding: 'utf8' });
      assert.equal(version.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
