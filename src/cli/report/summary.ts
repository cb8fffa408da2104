// What every report format says about a run: the counts, and which fix snippets repeat.
import type { Violation } from '../../engine/index.js';
import type { CheckReport } from '../check.js';

/** `18 objects: 0 denied, 0 warned, 18 allowed, 2 skipped`: judged objects, then the skipped ones. */
export function summaryLine(report: CheckReport): string {
  const { objects, denied, warned, skipped } = report.summary;
  return `${objects} object${objects === 1 ? '' : 's'}: ${denied} denied, ${warned} warned, ${objects - denied - warned} allowed, ${skipped} skipped`;
}

/** A violation's message split into its first line and the block after it (a ready-to-apply policy). */
export function splitMessage(message: string): { first: string; block: string | undefined } {
  const at = message.indexOf('\n');
  return at < 0 ? { first: message, block: undefined } : { first: message.slice(0, at), block: message.slice(at + 1) };
}

/**
 * The violations of one object, each with its block unless an earlier violation of the object
 * carried the same one (an uncovered pod gets the same policy for ingress and egress): then
 * `sameAs` names that violation's rule, so the block is printed once per object.
 */
export function withSharedBlocks(violations: readonly Violation[]): { violation: Violation; first: string; block?: string; sameAs?: string }[] {
  const seen = new Map<string, string>();
  return violations.map((violation) => {
    const { first, block } = splitMessage(violation.message);
    if (block === undefined) return { violation, first };
    const earlier = seen.get(block);
    if (earlier !== undefined) return { violation, first, sameAs: earlier };
    seen.set(block, violation.rule);
    return { violation, first, block };
  });
}
