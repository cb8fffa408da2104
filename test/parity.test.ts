// The two fronts give the same verdicts and messages (SPEC §1): every object of examples/ goes
// through the webhook's validating handler, as an AdmissionReview the way the API server sends it,
// and through `check`, against the same view; both must report the same rule ids, severities and
// messages. The one documented difference (docs/contract-notes.md) is `flow-blocked`, a
// pipeline-level finding `check` reports and the webhook never computes: its rows assert exactly
// that difference, and every other row asserts equality.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { handleValidate, VIOLATIONS_AUDIT_KEY, warningsOf } from '../src/admission/handler.js';
import { decodeReview } from '../src/admission/review.js';
import { checkObjects, type CheckReport } from '../src/cli/check.js';
import { loadConfigFile, resolveConfig } from '../src/config/load.js';
import type { StagewallConfig } from '../src/config/model.js';
import type { Violation } from '../src/engine/rule.js';
import type { KubeObject } from '../src/engine/types.js';
import { loadManifests, type LoadedObject } from '../src/manifests/load.js';
import { admissionReview } from './helpers/review.js';

const examples = loadConfigFile('examples/stagewall.yaml');
/** The examples' config in audit mode: every denial becomes a warning, which the webhook sends as a warning header. */
const audit = resolveConfig({ ...structuredClone(examples.document), mode: 'audit' });
const PIPELINE = 'examples/pipeline/manifests';

/** The sets of examples/ that are checked together (as their comments and the README run them). */
const SETS: readonly { readonly name: string; readonly paths: readonly string[]; readonly reviews?: readonly string[]; readonly config?: StagewallConfig }[] = [
  { name: 'pipeline', paths: [PIPELINE] },
  { name: 'pipeline + broken', paths: [PIPELINE, 'examples/broken'] },
  { name: 'pipeline + drift', paths: [PIPELINE, 'examples/drift/drift.yaml'] },
  // The AdmissionReviews of examples/admission: their objects are checked with the pipeline.
  { name: 'pipeline + admission reviews', paths: [PIPELINE], reviews: ['examples/admission/pod-labelled.json', 'examples/admission/pod-without-stage.json'] },
  // A set without Namespace objects: check and the webhook both infer the pipeline namespaces.
  { name: 'broken alone', paths: ['examples/broken'] },
  { name: 'pipeline + broken, audit mode', paths: [PIPELINE, 'examples/broken'], config: audit },
];

/** The documented differences: rules `check` reports that the webhook does not compute. */
const CHECK_ONLY: ReadonlySet<string> = new Set(['flow-blocked']);

/** Rows expected to differ, by set and object: a difference appearing or vanishing fails the test. */
const EXPECTED_DIFFERENCES: readonly string[] = ['pipeline + drift: Namespace etl-transform'];

const entry = (v: Violation): string => `[${v.rule}] (${v.severity}) ${v.message}`;

interface Row {
  readonly name: string;
  readonly object: KubeObject;
  /** The AdmissionReview as the API server would send it. */
  readonly review: unknown;
  readonly config: StagewallConfig;
  readonly report: CheckReport;
  readonly checked: readonly Violation[];
}

function rowsOf(set: (typeof SETS)[number]): Row[] {
  const loaded: LoadedObject[] = loadManifests(set.paths);
  const reviews = (set.reviews ?? []).map((file) => JSON.parse(readFileSync(file, 'utf8')) as { request: { object: KubeObject } });
  const objects = [...loaded, ...reviews.map((r, i) => ({ object: r.request.object, source: { file: set.reviews?.[i] ?? '', line: 1 }, judged: true }))];
  const config = set.config ?? examples;
  const report = checkObjects(objects, config);
  const judged = objects.filter((o) => o.judged);
  assert.equal(report.results.length, judged.length);
  return judged.map(({ object }, i) => {
    const ns = object.metadata?.namespace;
    const fromFile = i >= loaded.filter((o) => o.judged).length ? reviews[i - loaded.filter((o) => o.judged).length] : undefined;
    return {
      name: `${set.name}: ${object.kind} ${ns ? `${ns}/` : ''}${object.metadata?.name}`,
      object,
      // A review from examples/admission is used as it is; for a manifest, the review of its CREATE.
      review: fromFile ?? admissionReview(structuredClone(object), object.kind === 'Namespace' ? {} : { namespace: ns ?? 'default' }),
      config,
      report,
      checked: report.results[i]?.decision.violations ?? [],
    };
  });
}

describe('parity: the webhook and check judge each object of examples/ alike', () => {
  const rows = SETS.flatMap(rowsOf);
  const differing: string[] = [];

  for (const row of rows) {
    const checkOnly = row.checked.filter((v) => CHECK_ONLY.has(v.rule));
    const shared = row.checked.filter((v) => !CHECK_ONLY.has(v.rule));
    if (checkOnly.length > 0) differing.push(row.name);
    const title =
      checkOnly.length > 0
        ? `${row.name}: check alone reports ${[...new Set(checkOnly.map((v) => v.rule))].join(', ')}, the rest is the same`
        : `${row.name}: the same ${shared.length === 0 ? 'allow' : shared.map((v) => v.rule).join(', ')}`;
    it(title, () => {
      const request = decodeReview(row.review).request;
      const { response, decision } = handleValidate(request, { config: row.config, view: row.report.view });
      // The decision the webhook reached, rule by rule, and what it answered the API server.
      assert.deepEqual((decision?.violations ?? []).map(entry), shared.map(entry));
      const denials = shared.filter((v) => v.severity === 'deny');
      const warnings = shared.filter((v) => v.severity === 'warn');
      assert.equal(response.allowed, denials.length === 0);
      assert.equal(response.status?.message, denials.length === 0 ? undefined : denials.map((v) => `[${v.rule}] ${v.message}`).join('\n'));
      // Warnings are header lines, each cut to the protocol's bound (admission/bounds.ts).
      assert.deepEqual(response.warnings, warnings.length === 0 ? undefined : warningsOf(warnings));
      // In audit mode the audit annotation carries every message whole.
      const annotation = response.auditAnnotations?.[VIOLATIONS_AUDIT_KEY];
      if (row.config.mode === 'audit' && shared.length > 0)
        assert.deepEqual(
          JSON.parse(annotation ?? '[]'),
          shared.map((v) => ({ rule: v.rule, message: v.message })),
        );
      else assert.equal(annotation, undefined);
      if (checkOnly.length > 0) {
        // The difference is the documented one: the webhook never reports the check-only rules.
        assert.ok(!(decision?.violations ?? []).some((v) => CHECK_ONLY.has(v.rule)));
        assert.ok(EXPECTED_DIFFERENCES.includes(row.name), `${row.name} differs: ${checkOnly.map(entry).join('; ')}`);
      }
    });
  }

  it('the differing rows are exactly the documented ones', () => {
    assert.deepEqual(differing, EXPECTED_DIFFERENCES);
  });

  it('the rows cover real findings, not only allowed objects', () => {
    const rules = new Set(rows.flatMap((r) => r.checked.map((v) => v.rule)));
    for (const rule of [
      'pipeline-unknown',
      'ingress-uncovered',
      'egress-uncovered',
      'stage-label-missing',
      'stage-unknown',
      'host-network',
      'ingress-open',
      'egress-open',
      'flow-blocked',
    ]) {
      assert.ok(rules.has(rule), `no row reports ${rule}`);
    }
    assert.ok(
      rows.some((r) => r.checked.some((v) => v.severity === 'warn' && v.rule !== 'flow-blocked')),
      'no row warns',
    );
    assert.ok(rows.length >= 40, `${rows.length} rows`);
  });
});
