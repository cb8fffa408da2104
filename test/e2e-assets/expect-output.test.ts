// The asset build checks each built binary's version with expect-output.sh. A check written as
// `"$bin" --version | grep -q …` under pipefail failed cold builds: grep exits at its first match,
// the binary dies of SIGPIPE writing the rest, and the pipeline reports failure.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), '../e2e/assets/expect-output.sh');

/** A fake binary: prints `first`, then `fillerBytes` more bytes (far beyond a pipe's buffer), exits `code`. */
function fakeBinary(first: string, fillerBytes: number, code = 0): string {
  const path = join(mkdtempSync(join(tmpdir(), 'stagewall-fake-')), 'fake');
  writeFileSync(path, `#!/usr/bin/env bash\nprintf '%s\\n' '${first}'\nhead -c ${fillerBytes} /dev/zero | tr '\\0' 'x'\necho\nexit ${code}\n`);
  chmodSync(path, 0o755);
  return path;
}

function run(...args: string[]) {
  return spawnSync('bash', [script, ...args], { encoding: 'utf8' });
}

describe("e2e assets: expect-output.sh (the build's version checks)", () => {
  const rows: { name: string; mode: string; expected: string; first: string; filler: number; code?: number; ok: boolean }[] = [
    {
      name: 'a match followed by 2 MB of output passes (no SIGPIPE race)',
      mode: 'TEXT',
      expected: 'etcd Version: 3.6.8',
      first: 'etcd Version: 3.6.8',
      filler: 2_000_000,
      ok: true,
    },
    { name: 'a whole-line match passes', mode: 'LINE', expected: 'Kubernetes v1.36.3', first: 'Kubernetes v1.36.3', filler: 10, ok: true },
    { name: 'LINE mode refuses a partial line', mode: 'LINE', expected: 'Kubernetes v1.36', first: 'Kubernetes v1.36.3', filler: 10, ok: false },
    { name: 'another version fails', mode: 'TEXT', expected: 'etcd Version: 3.6.8', first: 'etcd Version: 3.6.7', filler: 1000, ok: false },
    {
      name: 'a binary that exits non-zero but prints the version passes (the version is what is checked)',
      mode: 'TEXT',
      expected: 'v1',
      first: 'v1',
      filler: 10,
      code: 3,
      ok: true,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const result = run(row.mode, row.expected, fakeBinary(row.first, row.filler, row.code ?? 0));
      assert.equal(result.status === 0, row.ok, `exit ${result.status}: ${result.stderr.slice(0, 300)}`);
      if (!row.ok) assert.match(result.stderr, new RegExp(row.first.replace(/\./g, '\\.')), 'a failure shows what the binary said');
    });
  }

  it('the pipe it replaces does race: `fake | grep -q` under pipefail fails on the same binary', () => {
    const fake = fakeBinary('etcd Version: 3.6.8', 2_000_000);
    const piped = spawnSync('bash', ['-c', `set -o pipefail; "${fake}" | grep -q 'etcd Version: 3.6.8'`]);
    assert.notEqual(piped.status, 0, 'the old check fails although the version is there');
  });

  it('refuses an unknown mode with exit 2', () => {
    assert.equal(run('REGEX', 'x', 'true').status, 2);
  });

  it('build.sh checks every binary through it, never through a pipe into grep', async () => {
    const { readFileSync } = await import('node:fs');
    const build = readFileSync(join(dirname(script), 'build.sh'), 'utf8');
    assert.doesNotMatch(build, /--version[^\n]*\|\s*grep/);
    for (const bin of ['etcd', 'kube-apiserver', 'kubectl']) assert.match(build, new RegExp(`expect (TEXT|LINE) [^\\n]*"\\$tmp/${bin}"`));
  });
});
