import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { renderRules } from '../src/cli/rules.js';
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
