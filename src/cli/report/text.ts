import { describeRef } from '../../engine/subjects.js';
import type { CheckReport } from '../check.js';

const codes = { red: 31, yellow: 33, green: 32, dim: 2, bold: 1 } as const;
type Style = keyof typeof codes;

/** Grouped, readable output; colour only when `color` (a TTY without NO_COLOR). */
export function renderText(report: CheckReport, color: boolean): string {
  const paint = (style: Style, text: string) => (color ? `\u001b[${codes[style]}m${text}\u001b[0m` : text);
  const lines: string[] = [];
  const flagged = report.results.filter((r) => r.decision.verdict !== 'allow');
  for (const { decision, source } of flagged) {
    const label = decision.verdict === 'deny' ? paint('red', 'DENY') : paint('yellow', 'WARN');
    lines.push(`${label} ${paint('bold', describeRef(decision.ref))} ${paint('dim', `(${source.file}:${source.line})`)}`);
    for (const v of decision.violations) {
      const [first = '', ...rest] = v.message.split('\n');
      lines.push(`  ${v.severity === 'deny' ? paint('red', v.rule) : paint('yellow', v.rule)}: ${first}`);
      for (const line of rest) lines.push(`      ${line}`);
    }
    lines.push('');
  }
  const { objects, denied, warned } = report.summary;
  const allowed = objects - denied - warned;
  const summary = `${objects} object${objects === 1 ? '' : 's'}: ${denied} denied, ${warned} warned, ${allowed} allowed`;
  lines.push(denied > 0 ? paint('red', summary) : warned > 0 ? paint('yellow', summary) : paint('green', summary));
  return lines.join('\n');
}
