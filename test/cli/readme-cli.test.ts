// The README runs the CLI as a fresh clone can (issue 12): `npx stagewall` or `node bin/stagewall.js`,
// and a bare `stagewall` only after it has said how to put it on PATH.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';

describe('docs: the README runs stagewall as a clone can', () => {
  const readme = readFileSync('README.md', 'utf8');
  const onPath = readme.indexOf('`npm install -g .` (or `npm link`)');

  it("says how to put stagewall on PATH, and that npx stagewall --version is npm's", () => {
    assert.ok(onPath > 0);
    assert.match(readme, /`npx stagewall version` prints the version/);
  });

  it('no command line in a code block runs a bare stagewall before that', () => {
    const blocks = [...readme.matchAll(/^```(?:sh|bash)?\n([\s\S]*?)^```$/gm)];
    let commands = 0;
    for (const block of blocks) {
      for (const line of block[1]!.split('\n')) {
        if (!/^\s*(npx )?stagewall /.test(line) && !/^\s*node bin\/stagewall\.js /.test(line)) continue;
        commands += 1;
        if (/^\s*stagewall /.test(line)) assert.ok(block.index! > onPath, `a bare stagewall before the PATH note: ${line}`);
      }
    }
    assert.ok(commands >= 5, 'the README shows commands');
  });

  it('the check examples run through npx', () => {
    assert.match(readme, /^npx stagewall check -c examples\/stagewall\.yaml examples\/pipeline\/manifests$/m);
  });
});
