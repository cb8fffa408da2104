// Markdown for a pull-request comment or a GitHub step summary ($GITHUB_STEP_SUMMARY): a summary
// line and a table of what fails or warns, the findings grouped by object with file:line and fix,
// and, when the view holds pipeline namespaces, the flow graph of those pipelines: the very
// Mermaid of `stagewall graph` (src/cli/graph.ts), which GitHub renders in a ```mermaid block.
import type { StagewallConfig } from '../../config/model.js';
import { describeRef, type StageFlow } from '../../engine/index.js';
import { fails, type CheckReport, type CheckResult } from '../check.js';
import { edgeLabel, pipelinesInView, renderMermaid } from '../graph.js';
import { summaryLine, withSharedBlocks } from './summary.js';

/** Plain text in Markdown: backslash-escapes what Markdown or GitHub's HTML filter would read (`<stage>` would vanish as a tag). */
export function mdText(text: string): string {
  return text.replace(/[\\`*_[\]<>|&#~]/g, '\\$&');
}

/** An inline code span that survives backticks and, in a table cell, pipes (GitHub splits cells on `|` even there). */
export function mdCode(text: string, inTable = false): string {
  const body = inTable ? text.replace(/\|/g, '\\|') : text;
  const run = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(run + 1);
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** A fenced block whose fence is longer than any backtick run inside it. */
function fenced(info: string, body: string, indent = ''): string[] {
  const run = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(run + 1);
  return [
    `${indent}${fence}${info}`,
    ...body
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => (line === '' ? '' : `${indent}${line}`)),
    `${indent}${fence}`,
  ];
}

const ICON = { deny: '❌', warn: '⚠️', allow: '✅', skipped: '⏭️' } as const;

function verdictIcon(result: CheckResult, report: CheckReport): string {
  if (result.decision.verdict === 'allow') return ICON.allow;
  return fails(result, report.failOn) ? ICON.deny : ICON.warn;
}

/** The problem and the fix of a message's first line ("... Fix: ..."). */
function problemAndFix(first: string): { problem: string; fix?: string } {
  const at = first.lastIndexOf(' Fix: ');
  return at < 0 ? { problem: first } : { problem: first.slice(0, at), fix: first.slice(at + ' Fix: '.length) };
}

const LEGEND = [
  'solid green: declared and allowed',
  'dashed red: declared, **blocked**',
  'thick orange: allowed but **undeclared** (a backdoor)',
  'dashed grey: declared, unverified (no namespace in the view)',
].join(' · ');

function flowSection(flow: StageFlow, config: StagewallConfig): string[] {
  const shown = pipelinesInView(flow, config);
  if (shown.size === 0) return [];
  const lines = [
    '### Flow',
    '',
    `The declared flow of ${[...shown].map((p) => mdCode(p)).join(', ')} against what the NetworkPolicies allow (as \`stagewall graph\` draws it).`,
    '',
  ];
  lines.push(...fenced('mermaid', renderMermaid(flow, config, shown)), '', LEGEND, '');
  const marked = flow.edges.filter(
    (e) => shown.has(e.from.pipeline) && shown.has(e.to.pipeline) && (e.kind === 'declared-blocked' || e.kind === 'undeclared-allowed'),
  );
  for (const edge of marked) {
    const what = edge.kind === 'declared-blocked' ? `${ICON.warn} blocked` : `${ICON.deny} backdoor`;
    lines.push(`- ${what}: ${mdCode(edge.from.id)} → ${mdCode(edge.to.id)} (${mdText(edgeLabel(edge))})`);
  }
  if (marked.length > 0) lines.push('');
  return lines;
}

/** `flow` is the view's stage flow (stageFlow of the same view), for the graph. */
export function renderMarkdown(report: CheckReport, config: StagewallConfig, flow: StageFlow): string {
  const { denied, warned } = report.summary;
  const failing = denied > 0 || (report.failOn === 'warn' && warned > 0);
  const lines = ['## stagewall check', '', `${failing ? ICON.deny : warned > 0 ? ICON.warn : ICON.allow} **${summaryLine(report)}**`, ''];
  const flagged = report.results.filter((r) => r.decision.verdict !== 'allow');
  if (flagged.length === 0) {
    lines.push('No object is denied or warned.', '');
  } else {
    lines.push('| | object | file | rules |', '|---|---|---|---|');
    for (const r of flagged) {
      const rules = [...new Set(r.decision.violations.map((v) => v.rule))].map((id) => mdCode(id, true)).join(', ');
      lines.push(
        `| ${verdictIcon(r, report)} ${r.decision.verdict} | ${mdCode(describeRef(r.decision.ref), true)} | ${mdCode(`${r.source.file}:${r.source.line}`, true)} | ${rules} |`,
      );
    }
    lines.push('', '### Findings', '');
    for (const r of flagged) {
      lines.push(`#### ${verdictIcon(r, report)} ${mdText(describeRef(r.decision.ref))}`, '', mdCode(`${r.source.file}:${r.source.line}`), '');
      for (const { violation: v, first, block, sameAs } of withSharedBlocks(r.decision.violations)) {
        const { problem, fix } = problemAndFix(first);
        lines.push(`- **${mdCode(v.rule)}** (${v.severity}): ${mdText(problem)}`);
        if (fix !== undefined) lines.push('', `  **Fix:** ${mdText(fix)}${sameAs ? ` the same policy as for ${mdCode(sameAs)}, above.` : ''}`);
        if (block !== undefined) lines.push('', ...fenced('yaml', block, '  '));
        lines.push('');
      }
    }
  }
  if (report.skipped.length > 0) {
    lines.push(`<details><summary>${ICON.skipped} ${report.skipped.length} object${report.skipped.length === 1 ? '' : 's'} skipped, not judged</summary>`, '');
    lines.push('| object | file | why |', '|---|---|---|');
    for (const s of report.skipped)
      lines.push(`| ${mdCode(describeRef(s.ref), true)} | ${mdCode(`${s.source.file}:${s.source.line}`, true)} | ${mdText(s.why)} |`);
    lines.push('', '</details>', '');
  }
  lines.push(...flowSection(flow, config));
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}
