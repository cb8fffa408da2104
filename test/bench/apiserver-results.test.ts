// The JSON shape of bench/apiserver.json and the CPU accounting behind its webhook column.
import { strict as assert } from 'node:assert';
import { percentile, ratios, refusal, summarise, table, type Round } from '../../bench/apiserver-results.js';
import { cpuTicksFromStat } from '../../bench/proc-stat.js';

const round = (over: Partial<Round>): Round => ({
  scenario: 'none',
  mode: 'create',
  concurrency: 1,
  seconds: 1,
  latencies_ms: [1, 2, 3, 4],
  wrong: 0,
  errors: 0,
  webhook_cpu_s: null,
  ...over,
});

describe('bench: /proc/<pid>/stat CPU accounting', () => {
  const rows: [string, string, number][] = [
    ['utime (field 14) + stime (field 15)', '4242 (node) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 123 0 0', 325],
    ['a command name with spaces and parentheses counts fields after the last )', '7 (kube (api) server) R 1 7 7 0 -1 0 0 0 0 0 10 5 0 0 20 0 1 0 1 0 0', 15],
  ];
  for (const [name, stat, ticks] of rows) it(name, () => assert.equal(cpuTicksFromStat(stat), ticks));
  it('a line that is not a stat line is an error, not a zero', () => assert.throws(() => cpuTicksFromStat('garbage'), /not a \/proc/));
});

describe('bench: bench/apiserver.json results', () => {
  it('nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile([7], 99), 7);
  });

  it("rounds of one cell pool into one result with exactly the issue's fields", () => {
    const [r, ...rest] = summarise([
      round({ scenario: 'stagewall', latencies_ms: [1, 2], seconds: 2, webhook_cpu_s: 0.5, wrong: 1 }),
      round({ scenario: 'stagewall', latencies_ms: [3, 4], seconds: 2, webhook_cpu_s: 0.5, errors: 2 }),
    ]);
    assert.equal(rest.length, 0);
    assert.deepEqual(r, {
      scenario: 'stagewall',
      mode: 'create',
      concurrency: 1,
      rps: 1,
      p50_ms: 2,
      p99_ms: 4,
      wrong: 1,
      errors: 2,
      webhook_cpu_s_per_1k: 250,
    });
  });

  it('scenarios without a webhook have null CPU; results come in mode, concurrency, scenario order', () => {
    const results = summarise([
      round({ scenario: 'stagewall', concurrency: 8, webhook_cpu_s: 1 }),
      round({ scenario: 'vap', concurrency: 8 }),
      round({ scenario: 'none', mode: 'dryrun' }),
      round({ scenario: 'none', concurrency: 8 }),
    ]);
    assert.deepEqual(
      results.map((r) => `${r.mode}/${r.concurrency}/${r.scenario}`),
      ['create/8/none', 'create/8/vap', 'create/8/stagewall', 'dryrun/1/none'],
    );
    assert.equal(results[1]?.webhook_cpu_s_per_1k, null);
  });

  it('ratios are against none and vap of the same mode and concurrency; a missing peer is null', () => {
    const results = summarise([
      round({ scenario: 'none', latencies_ms: [1, 1, 1, 1], seconds: 1 }),
      round({ scenario: 'stagewall', latencies_ms: [2, 2], seconds: 1, webhook_cpu_s: 0 }),
      round({ scenario: 'none', concurrency: 8, latencies_ms: [9] }),
    ]);
    assert.deepEqual(ratios(results[1]!, results), { rps_vs_none: 0.5, p99_vs_none: 2, rps_vs_vap: null, p99_vs_vap: null });
    assert.match(table(results), /\| create \| 1 \| stagewall \| 2 \| 2\.0 \| 2\.0 \| 0\.50× \| 2\.00× \| – \| – \| 0\.00 \| 0 \| 0 \|/);
  });
});

describe('bench: what counts as a refusal', () => {
  const kyverno =
    '{"kind":"Status","status":"Failure","message":"admission webhook \\"vpol.validate.kyverno.svc-fail\\" denied the request: Policy p failed: needs the label","code":400}';
  it('403 (a webhook) and 422 (a ValidatingAdmissionPolicy) are refusals', () => {
    assert.equal(refusal(403, ''), true);
    assert.equal(refusal(422, ''), true);
  });
  it("Kyverno's 400 with the API server's denial text is a refusal", () => assert.equal(refusal(400, kyverno), true));
  it('any other 400, and a 500 carrying the denial text, are errors', () => {
    assert.equal(refusal(400, '{"kind":"Status","message":"the body of the request was in an unknown format","code":400}'), false);
    assert.equal(refusal(500, kyverno), false);
    assert.equal(refusal(201, kyverno), false);
  });
});
