// Point 9 of issue 10 through the HTTP surface: a policy of 2,000 open rules gave a 1.36 MiB
// response and 2,000 log lines; now the response, the audit annotation and the log lines are
// bounded, and the metrics still count every violation.
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import request from 'supertest';
import { MAX_AUDIT_ANNOTATION_BYTES, MAX_DENIAL_MESSAGE_BYTES, MAX_REPORTED_VIOLATIONS, MAX_WARNINGS_LENGTH } from '../../src/admission/bounds.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { StagewallConfig } from '../../src/config/model.js';
import type { KubeObject } from '../../src/engine/types.js';
import { createWebhookApp } from '../../src/server/app.js';
import { createLogger, MAX_LOGGED_FIELD_LENGTH, MAX_LOGGED_MESSAGE_LENGTH } from '../../src/server/log.js';
import { createMetrics } from '../../src/server/metrics.js';
import { admissionReview } from '../helpers/review.js';
import { examplesView } from '../helpers/view.js';

const enforce = loadConfigFile('examples/stagewall.yaml');
const audit: StagewallConfig = { ...enforce, mode: 'audit', pipelines: new Map([...enforce.pipelines].map(([k, p]) => [k, { ...p, mode: 'audit' as const }])) };

function setup(config: StagewallConfig) {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const app = createWebhookApp({ context: () => ({ config, view: examplesView() }), metrics, logger: createLogger({ level: 'info', destination }) });
  return { app, metrics, lines, raw };
}

/** A policy of etl-transform with `count` ingress rules that admit every source. */
function openPolicy(count: number): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'open', namespace: 'etl-transform' },
    spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: Array.from({ length: count }, (_, i) => ({ ports: [{ port: 1000 + i }] })) },
  };
}

async function violationsCounted(metrics: ReturnType<typeof createMetrics>, rule: string): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'stagewall_violations_total');
  return (metric?.values ?? []).filter((v) => v.labels['rule'] === rule).reduce((sum, v) => sum + v.value, 0);
}

describe('server/app: bounded answers for a policy of 2,000 open rules (issue 10, point 9)', () => {
  const COUNT = 2000;
  const shown = MAX_REPORTED_VIOLATIONS;
  const summary = `… and ${COUNT - shown} more violations (rules: ingress-open)`;

  it('audit mode: bounded warnings, a bounded annotation that is valid JSON, 21 audit lines, every violation counted', async () => {
    const { app, metrics, lines } = setup(audit);
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(openPolicy(COUNT)))
      .expect(200);
    const size = Buffer.byteLength(res.text);
    assert.ok(size < 32 * 1024, `the response is ${size} bytes (was 1.36 MiB)`);
    const { warnings, auditAnnotations } = res.body.response as { warnings: string[]; auditAnnotations: Record<string, string> };
    assert.equal(res.body.response.allowed, true);
    assert.ok(warnings.length <= shown + 1 && warnings.join('').length <= MAX_WARNINGS_LENGTH);
    assert.match(warnings.at(-1) ?? '', /^… and \d+ more violations \(rules: ingress-open\)$/);
    const annotation = auditAnnotations['violations'] ?? '';
    assert.ok(Buffer.byteLength(annotation) <= MAX_AUDIT_ANNOTATION_BYTES);
    const entries = JSON.parse(annotation) as { rule?: string; more?: number }[];
    assert.equal(entries.length - 1 + (entries.at(-1)?.more ?? 0), COUNT);

    const events = lines.filter((l) => l['event'] === 'audit');
    assert.equal(events.length, shown + 1);
    assert.ok(events.slice(0, shown).every((e) => e['rule'] === 'ingress-open' && e['uid'] !== undefined));
    assert.deepEqual(
      { omitted: events.at(-1)?.['omitted'], rules: events.at(-1)?.['rules'], msg: events.at(-1)?.['msg'] },
      { omitted: COUNT - shown, rules: ['ingress-open'], msg: summary },
    );
    assert.equal(await violationsCounted(metrics, 'ingress-open'), COUNT);
  });

  it('enforce mode: a denial message within 8 KiB that says how many more', async () => {
    const { app, metrics } = setup(enforce);
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(openPolicy(COUNT)))
      .expect(200);
    assert.ok(Buffer.byteLength(res.text) < 16 * 1024, `${Buffer.byteLength(res.text)} bytes`);
    const message = res.body.response.status.message as string;
    assert.equal(res.body.response.allowed, false);
    assert.ok(Buffer.byteLength(message) <= MAX_DENIAL_MESSAGE_BYTES);
    const lines = message.split('\n');
    assert.ok(lines.length <= shown + 1);
    assert.equal(lines.at(-1), `… and ${COUNT - (lines.length - 1)} more violations (rules: ingress-open)`);
    assert.equal(await violationsCounted(metrics, 'ingress-open'), COUNT);
  });
});

describe('server/app: audit log lines per request, exactly at, one over and far over the cap', () => {
  const rows: { name: string; rules: number; lines: number; omitted?: number }[] = [
    { name: 'exactly at the cap: one line per violation', rules: MAX_REPORTED_VIOLATIONS, lines: MAX_REPORTED_VIOLATIONS },
    { name: 'one over: the cap and a line for the one more', rules: MAX_REPORTED_VIOLATIONS + 1, lines: MAX_REPORTED_VIOLATIONS + 1, omitted: 1 },
    { name: 'far over (500): the cap and a line for the rest', rules: 500, lines: MAX_REPORTED_VIOLATIONS + 1, omitted: 500 - MAX_REPORTED_VIOLATIONS },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const { app, metrics, lines } = setup(audit);
      await request(app)
        .post('/validate')
        .send(admissionReview(openPolicy(row.rules)))
        .expect(200);
      const events = lines.filter((l) => l['event'] === 'audit');
      assert.equal(events.length, row.lines);
      assert.equal(events.filter((e) => e['rule'] === 'ingress-open').length, Math.min(row.rules, MAX_REPORTED_VIOLATIONS));
      assert.equal(events.at(-1)?.['omitted'], row.omitted);
      assert.equal(await violationsCounted(metrics, 'ingress-open'), row.rules, 'every violation is counted');
    });
  }
});

describe('server/app: strings of megabytes from a request stay out of answers and log lines', () => {
  const huge = 'u'.repeat(1 << 20);
  const managed = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'stagewall-default-deny', namespace: 'etl-load', labels: { 'app.kubernetes.io/managed-by': 'stagewall' } },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };

  it('a username of 1 MiB, quoted by a denial: the message is cut to the limit', async () => {
    const { app } = setup(enforce);
    const res = await request(app)
      .post('/validate')
      .send(admissionReview(null, { operation: 'DELETE', oldObject: managed, username: huge }))
      .expect(200);
    assert.equal(res.body.response.allowed, false);
    assert.ok(Buffer.byteLength(res.body.response.status.message) <= MAX_DENIAL_MESSAGE_BYTES);
    assert.match(res.body.response.status.message, /^\[managed-policy-protected\] .*uuu…$/);
  });

  it('the same in audit mode: the audit line’s user and message are cut', async () => {
    const { app, raw, lines } = setup(audit);
    await request(app)
      .post('/validate')
      .send(admissionReview(null, { operation: 'DELETE', oldObject: managed, username: huge }))
      .expect(200);
    const event = lines.find((l) => l['event'] === 'audit');
    assert.ok(event);
    assert.equal(String(event['user']).length, MAX_LOGGED_FIELD_LENGTH);
    assert.ok(String(event['msg']).length <= MAX_LOGGED_MESSAGE_LENGTH);
    for (const line of raw) assert.ok(line.length < 8 * 1024, `a log line of ${line.length} characters`);
  });

  it('an engine error quoting megabytes (an unknown selector operator) is a 400 cut to the limit, logged cut', async () => {
    const { app, raw } = setup(enforce);
    const bad = { ...managed, metadata: { name: 'bad', namespace: 'etl-load' }, spec: { podSelector: { matchExpressions: [{ key: 'a', operator: huge }] } } };
    const res = await request(app).post('/validate').send(admissionReview(bad)).expect(200);
    assert.equal(res.body.response.status.code, 400);
    assert.ok(Buffer.byteLength(res.body.response.status.message) <= MAX_DENIAL_MESSAGE_BYTES);
    assert.match(res.body.response.status.message, /^\[SELECTOR_INVALID\] /);
    assert.ok(raw.length > 0);
    for (const line of raw) assert.ok(line.length < 8 * 1024, `a log line of ${line.length} characters`);
  });
});
