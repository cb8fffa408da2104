import { describeRef } from '../../engine/subjects.js';
import type { CheckReport } from '../check.js';
import { escapeXml } from './xml.js';

/** One testcase per object; a denial is a failure, warnings go to system-out. */
export function renderJunit(report: CheckReport): string {
  const { objects, denied } = report.summary;
  const cases = report.results.map(({ decision, source }) => {
    const name = escapeXml(describeRef(decision.ref));
    const attrs = `classname="stagewall.${escapeXml(decision.ref.kind)}" name="${name}" file="${escapeXml(source.file)}" line="${source.line}"`;
    const text = escapeXml(decision.violations.map((v) => `[${v.rule}] ${v.message}`).join('\n\n'));
    if (decision.verdict === 'deny') {
      const rules = [...new Set(decision.violations.filter((v) => v.severity === 'deny').map((v) => v.rule))].join(', ');
      return `    <testcase ${attrs}>\n      <failure message="denied: ${escapeXml(rules)}" type="deny">${text}</failure>\n    </testcase>`;
    }
    if (decision.verdict === 'warn') return `    <testcase ${attrs}>\n      <system-out>${text}</system-out>\n    </testcase>`;
    return `    <testcase ${attrs}/>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="stagewall" tests="${objects}" failures="${denied}">`,
    `  <testsuite name="stagewall check" tests="${objects}" failures="${denied}" errors="0" skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
  ].join('\n');
}
