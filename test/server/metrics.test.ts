import { strict as assert } from 'node:assert';
import { ADMISSION_LATENCY_BUCKETS, createMetrics, kindLabel, operationLabel } from '../../src/server/metrics.js';

/** The exposition text's sample lines, as `name{labels}` -> value. */
async function samples(metrics: ReturnType<typeof createMetrics>): Promise<Map<string, number>> {
  const text = await metrics.registry.metrics();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('server/metrics: admission tally, exported when scraped', () => {
  it('counts admissions by endpoint, kind, operation, decision and mode', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.admissions.admission('validate', 'Pod', 'CREATE', 'deny', 'enforce', 0.002);
    metrics.admissions.admission('validate', 'Pod', 'CREATE', 'deny', 'enforce', 0.003);
    metrics.admissions.admission('mutate', 'Namespace', 'CREATE', 'patch', 'audit', 0.001);
    const s = await samples(metrics);
    assert.equal(s.get('stagewall_admission_requests_total{endpoint="validate",kind="Pod",operation="CREATE",decision="deny",mode="enforce"}'), 2);
    assert.equal(s.get('stagewall_admission_requests_total{endpoint="mutate",kind="Namespace",operation="CREATE",decision="patch",mode="audit"}'), 1);
  });

  it('folds kinds it does not name into `other`, so callers cannot grow the label set', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.admissions.admission('validate', 'Widget', 'CREATE', 'ignored', 'enforce', 0.001);
    metrics.admissions.admission('validate', 'Gadget', 'CREATE', 'ignored', 'enforce', 0.001);
    assert.equal(kindLabel('Widget'), 'other');
    assert.equal(
      (await samples(metrics)).get('stagewall_admission_requests_total{endpoint="validate",kind="other",operation="CREATE",decision="ignored",mode="enforce"}'),
      2,
    );
  });

  describe('label values from a request are folded into a fixed set, so no caller can grow the series', () => {
    const rows: { name: string; kind: string; operation: string; labels: [string, string] }[] = [
      { name: 'a known kind and operation are their own', kind: 'Deployment', operation: 'UPDATE', labels: ['Deployment', 'UPDATE'] },
      { name: 'a kind of another group is other', kind: 'Widget', operation: 'CREATE', labels: ['other', 'CREATE'] },
      { name: 'a kind in the wrong case is other', kind: 'pod', operation: 'DELETE', labels: ['other', 'DELETE'] },
      { name: 'an operation the protocol does not have is other', kind: 'Pod', operation: 'PATCH', labels: ['Pod', 'other'] },
      { name: 'a kind and an operation of a megabyte are other', kind: 'k'.repeat(1 << 20), operation: 'o'.repeat(1 << 20), labels: ['other', 'other'] },
    ];
    for (const row of rows) {
      it(row.name, () => {
        assert.deepEqual([kindLabel(row.kind), operationLabel(row.operation)], row.labels);
      });
    }

    it('10,000 admissions of distinct made-up kinds and operations fill one series', () => {
      const metrics = createMetrics({ defaultMetrics: false });
      for (let i = 0; i < 10_000; i += 1) metrics.admissions.admission('validate', `Kind${i}`, `OP${i}`, 'ignored', 'enforce', 0.001);
      assert.equal(metrics.admissions.requests.size, 1);
      assert.equal([...metrics.admissions.requests.values()][0]?.count, 10_000);
    });
  });

  it('renders latency as a Prometheus histogram: cumulative buckets, +Inf, _sum and _count per endpoint', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const seconds = [0.0001, 0.0005, 0.0007, 0.003, 0.02, 2];
    for (const value of seconds) metrics.admissions.admission('validate', 'Pod', 'CREATE', 'allow', 'enforce', value);
    metrics.admissions.admission('mutate', 'Pod', 'CREATE', 'allow', 'enforce', 0.004);
    const s = await samples(metrics);
    const bucket = (le: string, endpoint = 'validate') => s.get(`stagewall_admission_duration_seconds_bucket{le="${le}",endpoint="${endpoint}"}`);
    // An observation equal to a bound counts in that bound's bucket (le = less or equal).
    assert.equal(bucket('0.0005'), 2);
    assert.equal(bucket('0.001'), 3);
    assert.equal(bucket('0.0025'), 3);
    assert.equal(bucket('0.005'), 4);
    assert.equal(bucket('0.025'), 5);
    assert.equal(bucket('1'), 5);
    assert.equal(bucket('+Inf'), 6);
    assert.equal(s.get('stagewall_admission_duration_seconds_count{endpoint="validate"}'), 6);
    assert.ok(Math.abs((s.get('stagewall_admission_duration_seconds_sum{endpoint="validate"}') ?? 0) - seconds.reduce((a, b) => a + b)) < 1e-12);
    assert.equal(bucket('0.005', 'mutate'), 1);
    assert.equal(bucket('0.0025', 'mutate'), 0);
    const buckets = [...s.keys()].filter((k) => k.startsWith('stagewall_admission_duration_seconds_bucket{') && k.endsWith('endpoint="validate"}'));
    assert.equal(buckets.length, ADMISSION_LATENCY_BUCKETS.length + 1);
    const text = await metrics.registry.metrics();
    assert.match(text, /# TYPE stagewall_admission_duration_seconds histogram/);
  });

  it('counts violations by rule and severity', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.admissions.violation('stage-label-missing', 'deny');
    metrics.admissions.violation('stage-label-missing', 'deny');
    metrics.admissions.violation('ingress-open', 'warn');
    const s = await samples(metrics);
    assert.equal(s.get('stagewall_violations_total{rule="stage-label-missing",severity="deny"}'), 2);
    assert.equal(s.get('stagewall_violations_total{rule="ingress-open",severity="warn"}'), 1);
  });

  it('label values never run into each other: a rule id with a space is its own series', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.admissions.violation('a b', 'c');
    metrics.admissions.violation('a', 'b c');
    const s = await samples(metrics);
    assert.equal(s.get('stagewall_violations_total{rule="a b",severity="c"}'), 1);
    assert.equal(s.get('stagewall_violations_total{rule="a",severity="b c"}'), 1);
  });

  it('scraping twice reports the same totals (a scrape reads, it does not drain)', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.admissions.admission('validate', 'Pod', 'CREATE', 'allow', 'enforce', 0.001);
    await samples(metrics);
    metrics.admissions.admission('validate', 'Pod', 'CREATE', 'allow', 'enforce', 0.001);
    const s = await samples(metrics);
    assert.equal(s.get('stagewall_admission_requests_total{endpoint="validate",kind="Pod",operation="CREATE",decision="allow",mode="enforce"}'), 2);
    assert.equal(s.get('stagewall_admission_duration_seconds_count{endpoint="validate"}'), 2);
  });

  it('the registry reset clears the tallied metrics too', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.admissions.admission('validate', 'Pod', 'CREATE', 'allow', 'enforce', 0.001);
    metrics.admissions.violation('ingress-open', 'warn');
    metrics.registry.resetMetrics();
    const s = await samples(metrics);
    assert.equal([...s.keys()].filter((k) => /^stagewall_(admission|violations)/.test(k)).length, 0);
  });

  it('getMetricsAsJSON lists the histogram with its buckets', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.admissions.admission('validate', 'Pod', 'CREATE', 'allow', 'enforce', 0.001);
    const json = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'stagewall_admission_duration_seconds');
    assert.equal(String(json?.type), 'histogram');
    assert.ok(json?.values.some((v) => v.labels['le'] === '+Inf' && v.value === 1));
  });
});
