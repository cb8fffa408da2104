import { describeRef, RULES } from '../../engine/index.js';
import type { CheckReport } from '../check.js';
import { VERSION } from '../../version.js';

/** SARIF 2.1.0, one result per violation, located at the object's file and line. */
export function renderSarif(report: CheckReport): string {
  const results = report.results.flatMap(({ decision, source }) =>
    decision.violations.map((v) => ({
      ruleId: v.rule,
      ruleIndex: RULES.findIndex((r) => r.id === v.rule),
      level: v.severity === 'deny' ? 'error' : 'warning',
      message: { text: v.message },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: source.file.split('\\').join('/') }, region: { startLine: source.line } },
          logicalLocations: [{ fullyQualifiedName: describeRef(decision.ref), kind: 'object' }],
        },
      ],
    })),
  );
  return JSON.stringify(
    {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'stagewall',
              version: VERSION,
              informationUri: 'https://github.com/stagewall/stagewall',
              rules: RULES.map((r) => ({
                id: r.id,
                name: r.id,
                shortDescription: { text: r.description },
                defaultConfiguration: { level: r.severity === 'deny' ? 'error' : 'warning' },
                properties: { appliesTo: r.appliesTo },
              })),
            },
          },
          results,
          // Objects read but not judged, so a run that judged little cannot pass for a clean one.
          invocations: [
            {
              executionSuccessful: true,
              toolExecutionNotifications: report.skipped.map((s) => ({
                level: 'note',
                descriptor: { id: 'skipped' },
                message: { text: `skipped ${describeRef(s.ref)}: ${s.why}` },
                locations: [{ physicalLocation: { artifactLocation: { uri: s.source.file.split('\\').join('/') }, region: { startLine: s.source.line } } }],
              })),
            },
          ],
          properties: { summary: report.summary },
        },
      ],
    },
    null,
    2,
  );
}
