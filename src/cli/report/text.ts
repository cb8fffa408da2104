import { describeRef } from '../../engine/index.js';
import type { CheckReport } from '../check.js';
import { summaryLine, withSharedBlocks } from './summary.js';

/** Skipped objects named in the text report; the count covers them all. */
const SKIPPED_SHOWN = 10;

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
    for (const { violation: v, first, block, sameAs } of withSharedBlocks(decision.violations)) {
      const rule = v.severity === 'deny' ? paint('red', v.rule) : paint('yellow', v.rule);
      lines.push(`  ${rule}: ${first}${sameAs ? ` (the same policy as for ${sameAs}, above)` : ''}`);
      for (const line of block?.split('\n') ?? []) lines.push(`      ${line}`);
    }
    lines.push('');
  }
  if (report.skipped.length > 0) {
    const shown = report.skipped.slice(0, SKIPPED_SHOWN).map((s) => `${describeRef(s.ref)} (${s.source.file}:${s.source.line})`);
    const more =
      report.skipped.length > SKIPPED_SHOWN ? `, and ${report.skipped.length - SKIPPED_SHOWN} more (-o junit, sarif or markdown lists them all)` : '';
    lines.push(paint('dim', `skipped, not judged: ${shown.join(', ')}${more}`));
    lines.push('');
  }
  const { denied, warned } = report.summary;
  const failing = denied > 0 || (report.failOn === 'warn' && warned > 0);
  const summary = summaryLine(report);
  lines.push(failing ? paint('red', summary) : warned > 0 ? paint('yellow', summary) : paint('green', summary));
  return lines.join('\n');
}
