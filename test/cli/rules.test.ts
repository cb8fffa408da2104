import { strict as assert } from 'node:assert';
import { RULES } from '../../src/engine/rules/index.js';
import { run } from './fake-io.js';

describe('cli: stagewall rules', () => {
  it('lists every rule id with its severity and description (text)', async () => {
    const r = await run(['rules']);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    const ids = [...r.out.matchAll(/^(\S+)\s+(deny|warn)\s+/gm)].map((m) => m[1]);
    assert.deepEqual(
      ids,
      RULES.map((x) => x.id),
    );
    for (const rule of RULES) assert.ok(r.out.includes(rule.description), rule.id);
  });

  it('the catalog holds every rule of the SPEC §3 table, each with a description', () => {
    assert.deepEqual([...RULES.map((x) => x.id)].sort(), [
      'egress-external',
      'egress-flow',
      'egress-open',
      'egress-uncovered',
      'flow-blocked',
      'host-network',
      'ingress-external',
      'ingress-flow',
      'ingress-open',
      'ingress-uncovered',
      'managed-policy-protected',
      'pipeline-label-mismatch',
      'pipeline-label-removed',
      'pipeline-unknown',
      'stage-label-missing',
      'stage-unknown',
    ]);
    for (const rule of RULES) {
      assert.ok(rule.description.length > 20 && rule.appliesTo.length > 0, rule.id);
      // flow-blocked is a pipeline-level finding: a warning, never a denial.
      assert.equal(rule.severity, rule.id === 'flow-blocked' ? 'warn' : 'deny', `${rule.id}: default severity (SPEC §3)`);
    }
  });

  it('--output json is the catalog as data', async () => {
    const r = await run(['rules', '-o', 'json']);
    assert.equal(r.code, 0);
    const catalog = JSON.parse(r.out) as { id: string; severity: string; appliesTo: string; description: string }[];
    assert.deepEqual(
      catalog,
      RULES.map(({ id, severity, appliesTo, description }) => ({ id, severity, appliesTo, description })),
    );
  });

  it('--output markdown is a table with one row per rule', async () => {
    const r = await run(['rules', '-o', 'markdown']);
    assert.equal(r.code, 0);
    const rows = r.out.split('\n').filter((l) => l.startsWith('| `'));
    assert.deepEqual(
      rows.map((l) => /^\| `([^`]+)`/.exec(l)?.[1]),
      RULES.map((x) => x.id),
    );
  });

  it('an unknown format is a usage error', async () => {
    const r = await run(['rules', '-o', 'yaml']);
    assert.equal(r.code, 2);
    assert.match(r.err, /yaml/);
  });
});
