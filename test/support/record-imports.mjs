// Preload (`node --import ./test/support/record-imports.mjs ...`) that writes every module the
// process loads to $STAGEWALL_IMPORT_LOG, one file URL or path a line: ES modules as the loader
// resolves them, CommonJS modules from the require cache at exit. Used by the import-graph test.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env['STAGEWALL_IMPORT_LOG'];
if (log) {
  register(new URL('./record-imports-hooks.mjs', import.meta.url), { data: { log } });
  process.on('exit', () => {
    const cache = createRequire(import.meta.url).cache;
    appendFileSync(
      log,
      Object.keys(cache)
        .map((path) => `${path}\n`)
        .join(''),
    );
  });
}
