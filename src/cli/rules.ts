import { RULES } from '../engine/index.js';

/** The rule catalog as an aligned table (or JSON), for `stagewall rules` and the docs. */
export function renderRules(format: 'text' | 'json' | 'markdown'): string {
  if (format === 'json') {
    return JSON.stringify(
      RULES.map(({ id, severity, appliesTo, description }) => ({ id, severity, appliesTo, description })),
      null,
      2,
    );
  }
  if (format === 'markdown') {
    return [
      '| rule id | severity | applies to | checks |',
      '|---|---|---|---|',
      ...RULES.map((r) => `| \`${r.id}\` | ${r.severity} | ${r.appliesTo} | ${r.description} |`),
    ].join('\n');
  }
  const idWidth = Math.max(...RULES.map((r) => r.id.length));
  return RULES.map((r) => `${r.id.padEnd(idWidth)}  ${r.severity.padEnd(4)}  ${r.appliesTo}\n${' '.repeat(idWidth + 8)}${r.description}`).join('\n');
}
