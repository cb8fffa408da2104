import { describeRef } from '../../engine/index.js';
import { fails, type CheckReport } from '../check.js';
import { withSharedBlocks } from './summary.js';
import { escapeXml } from './xml.js';

/**
 * One testcase per object read: a denial is a failure (with --fail-on warn, a warning too), other
 * warnings go to system-out, and skipped objects are skipped testcases.
 */
export function renderJunit(report: CheckReport): string {
  const { objects, skipped } = report.summary;
  const failures = report.results.filter((r) => fails(r, report.failOn)).length;
  const tests = objects + skipped;
  const cases = report.results.map((result) => {
    const { decision, source } = result;
    const name = escapeXml(describeRef(decision.ref));
    const attrs = `classname="stagewall.${escapeXml(decision.ref.kind)}" name="${name}" file="${escapeXml(source.file)}" line="${source.line}"`;
    const text = escapeXml(
      withSharedBlocks(decision.violations)
        .map(
          ({ violation: v, first, block, sameAs }) =>
            `[${v.rule}] ${first}${sameAs ? ` (the same policy as for ${sameAs}, above)` : ''}${block === undefined ? '' : `\n${block}`}`,
        )
        .join('\n\n'),
    );
    if (fails(result, report.failOn)) {
      const severity = decision.verdict === 'deny' ? 'deny' : 'warn';
      const rules = [...new Set(decision.violations.filter((v) => v.severity === severity).map((v) => v.rule))].join(', ');
      return `    <testcase ${attrs}>\n      <failure message="${severity === 'deny' ? 'denied' : 'warned'}: ${escapeXml(rules)}" type="${severity}">${text}</failure>\n    </testcase>`;
    }
    if (decision.verdict === 'warn') return `    <testcase ${attrs}>\n      <system-out>${text}</system-out>\n    </testcase>`;
    return `    <testcase ${attrs}/>`;
  });
  const skippedCases = report.skipped.map(
    (s) =>
      `    <testcase classname="stagewall.${escapeXml(s.ref.kind)}" name="${escapeXml(describeRef(s.ref))}" file="${escapeXml(s.source.file)}" line="${s.source.line}">\n      <skipped message="${escapeXml(s.why)}"/>\n    </testcase>`,
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="stagewall" tests="${tests}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="stagewall check" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}">`,
    ...cases,
    ...skippedCases,
    '  </testsuite>',
    '</testsuites>',
  ].join('\n');
}
