import type { CheckReport } from '../check.js';

/** The exact shape of SPEC §6. */
export function renderJson(report: CheckReport): string {
  return JSON.stringify(
    {
      summary: report.summary,
      results: report.results.map(({ decision }) => ({
        kind: decision.ref.kind,
        namespace: decision.ref.namespace ?? '',
        name: decision.ref.name,
        verdict: decision.verdict,
        violations: decision.violations.map((v) => ({ rule: v.rule, severity: v.severity, message: v.message })),
      })),
    },
    null,
    2,
  );
}
