import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ENVIRONMENT, GENERATED, renderErrorsDoc } from '../hack/docs.js';
import { renderRules } from '../src/cli/rules.js';
import { ErrorCodes } from '../src/errors.js';
import { RULES } from '../src/engine/rules/index.js';

describe('docs: the README stays true', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('carries the rule catalog exactly as `stagewall rules -o markdown` prints it', () => {
    const block = /<!-- rules:begin[^>]*-->\n([\s\S]*?)\n<!-- rules:end -->/.exec(readme)?.[1];
    assert.ok(block, 'the README has a rules block');
    assert.equal(block, renderRules('markdown'));
  });

  it('names the two commands of a fresh clone: run and test', () => {
    assert.match(readme, /^npm start\b/m);
    assert.match(readme, /^npm test\b/m);
  });

  it('every rule id is unique and kebab-case', () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[a-z]+(-[a-z]+)+$/);
  });
});

describe('docs: the generated pages are what `npm run docs` writes', () => {
  it(`${GENERATED.errors} is the error catalog of src/errors.ts`, () => {
    assert.equal(readFileSync(GENERATED.errors, 'utf8'), renderErrorsDoc(), `${GENERATED.errors} is stale: run npm run docs`);
  });

  it(`${GENERATED.errors} has one row per code, with where it is met`, () => {
    const page = readFileSync(GENERATED.errors, 'utf8');
    for (const [code, entry] of Object.entries(ErrorCodes)) {
      const row = page.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      assert.ok(row, `a row for ${code}`);
      if ('exit' in entry) assert.ok(row.includes(`exit ${entry.exit}`), row);
      if ('http' in entry) assert.ok(row.includes(`HTTP ${entry.http}`), row);
      if ('review' in entry) assert.ok(row.includes(`${entry.review} in the review`), row);
    }
  });

  // In a process of its own, with none of the variables that defaults come from set: mocha's
  // environment (LOG_LEVEL, STAGEWALL_CONFIG...) must not change the page.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !ENVIRONMENT.some((e) => e.name === name)));
  const printed = spawnSync(process.execPath, ['--import', 'tsx', 'hack/docs.ts', '--print', 'cli'], { encoding: 'utf8', env });

  it(`${GENERATED.cli} is the commander program of src/cli/main.ts`, () => {
    assert.equal(printed.status, 0, printed.stderr);
    assert.equal(readFileSync(GENERATED.cli, 'utf8'), printed.stdout, `${GENERATED.cli} is stale: run npm run docs`);
  });

  it(`${GENERATED.cli} has every serve flag, --host, --certs and --shutdown-delay among them`, () => {
    const page = readFileSync(GENERATED.cli, 'utf8');
    const serve = page.slice(page.indexOf('## stagewall serve'), page.indexOf('## stagewall certs'));
    for (const flag of ['--host <addr>', '--certs <dir>', '--shutdown-delay <ms>', '--shutdown-timeout <ms>', '--manage-certs', '--view <path>'])
      assert.ok(serve.includes(`\`${flag}\``), flag);
    assert.match(serve, /\| `--port <n>` \| `8443` \|/);
  });

  it(`${GENERATED.cli} names every environment variable the CLI reads`, () => {
    const page = readFileSync(GENERATED.cli, 'utf8');
    const read = new Set<string>();
    for (const file of readdirSync('src/cli')) {
      if (!file.endsWith('.ts')) continue;
      for (const m of readFileSync(`src/cli/${file}`, 'utf8').matchAll(/process\.env\['([A-Z_]+)'\]/g)) read.add(m[1]!);
    }
    assert.ok(read.size >= 5, 'the CLI reads variables');
    for (const name of read) assert.ok(page.includes(`| \`${name}\` |`), `${name} in the Environment table`);
  });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (heading) anchors.add(slug(heading[1]!));
  }
  return anchors;
}

describe('docs: every relative link of the README and docs/ leads somewhere', () => {
  const pages = [
    'README.md',
    ...readdirSync('docs')
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  for (const page of pages) {
    it(page, () => {
      const text = readFileSync(page, 'utf8');
      const dir = dirname(page);
      let links = 0;
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        links += 1;
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path === '' ? page : join(dir, path);
        // docs/performance.md is written beside this work; a link to it may come first.
        if (file === join('docs', 'performance.md') && !existsSync(file)) continue;
        assert.ok(existsSync(file), `${page}: ${target} names no file`);
        if (anchor !== undefined && file.endsWith('.md'))
          assert.ok(anchorsOf(readFileSync(file, 'utf8')).has(anchor), `${page}: ${target} names no heading of ${file}`);
      }
      assert.ok(links > 0 || page !== 'README.md', 'the README links its docs');
    });
  }
});
