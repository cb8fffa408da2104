import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { run } from './fake-io.js';

describe('cli: stagewall version', () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  // `npx stagewall --version` prints npm's own version, so CI needs a subcommand.
  for (const argv of [['version'], ['--version'], ['-V']]) {
    it(`${argv.join(' ')} prints the package version and exits 0`, async () => {
      const r = await run(argv);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out.trim(), version);
    });
  }
});
