// Inclusive intervals over numbers (ports) or bigints (addresses): sorted and merged once, then
// swept together. Port sets and IP ranges keep their own shapes; `SpanOps` reads and builds them.
// Spans of different groups (IP families) never meet: they sort by group first, then by start.

/** How to read, build and step one kind of interval `S` whose bounds are `T`. */
export interface SpanOps<S, T extends number | bigint> {
  start(span: S): T;
  end(span: S): T;
  /** The piece [start, end] of `of`: `of` itself when nothing was cut, so callers keep their objects. */
  piece(of: S, start: T, end: T): S;
  /** The bound right after and right before `x`: what adjacent means. */
  next(x: T): T;
  prev(x: T): T;
  /** The span's group (an IP family); spans without one are all of one group. */
  group?(span: S): number;
}

/** Spans as `[start, end]` tuples of numbers, as port sets hold them. */
export const NUMBER_TUPLES: SpanOps<readonly [number, number], number> = {
  start: (s) => s[0],
  end: (s) => s[1],
  piece: (of, start, end) => (start === of[0] && end === of[1] ? of : [start, end]),
  next: (x) => x + 1,
  prev: (x) => x - 1,
};

function compareSpans<S, T extends number | bigint>(a: S, b: S, ops: SpanOps<S, T>): number {
  const g = ops.group ? ops.group(a) - ops.group(b) : 0;
  if (g !== 0) return g;
  const x = ops.start(a);
  const y = ops.start(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sorted by group, then start; stable, so equal starts keep their order. Already sorted input is returned as is. */
export function sortSpans<S, T extends number | bigint>(spans: readonly S[], ops: SpanOps<S, T>): readonly S[] {
  let sorted = true;
  for (let i = 1; i < spans.length && sorted; i += 1) sorted = compareSpans(spans[i - 1]!, spans[i]!, ops) <= 0;
  return sorted ? spans : [...spans].sort((a, b) => compareSpans(a, b, ops));
}

/** The spans sorted and merged into disjoint, non-adjacent spans (per group). */
export function mergeSpans<S, T extends number | bigint>(spans: readonly S[], ops: SpanOps<S, T>): S[] {
  const out: S[] = [];
  let last: { of: S; group: number; start: T; end: T } | undefined;
  const sorted = sortSpans(spans, ops);
  for (let i = 0; i < sorted.length; i += 1) {
    const span = sorted[i]!;
    const group = ops.group ? ops.group(span) : 0;
    const start = ops.start(span);
    const end = ops.end(span);
    if (last && last.group === group && start <= ops.next(last.end)) {
      if (end > last.end) last.end = end;
      continue;
    }
    if (last) out.push(ops.piece(last.of, last.start, last.end));
    last = { of: span, group, start, end };
  }
  if (last) out.push(ops.piece(last.of, last.start, last.end));
  return out;
}

/**
 * `spans` minus the `holes` of their group, in one sweep: `spans` sorted (as sortSpans gives them;
 * they may overlap), `holes` merged (as mergeSpans gives them). O(spans + holes + output); the
 * pieces come out span by span.
 */
export function subtractSpans<S, T extends number | bigint>(spans: readonly S[], holes: readonly S[], ops: SpanOps<S, T>): S[] {
  const groupOf = (span: S) => (ops.group ? ops.group(span) : 0);
  const out: S[] = [];
  let j = 0;
  for (let i = 0; i < spans.length; i += 1) {
    const span = spans[i]!;
    const group = groupOf(span);
    const spanStart = ops.start(span);
    const spanEnd = ops.end(span);
    let start = spanStart;
    // Holes of an earlier group, or ending before this span's start, come before every later span too.
    while (j < holes.length && (groupOf(holes[j]!) < group || (groupOf(holes[j]!) === group && ops.end(holes[j]!) < start))) j += 1;
    let cutAway = false;
    for (let k = j; k < holes.length && groupOf(holes[k]!) === group && ops.start(holes[k]!) <= spanEnd; k += 1) {
      const hole = holes[k]!;
      const holeStart = ops.start(hole);
      const holeEnd = ops.end(hole);
      if (holeStart > start) out.push(ops.piece(span, start, ops.prev(holeStart)));
      if (holeEnd >= spanEnd) {
        cutAway = true;
        break;
      }
      if (holeEnd >= start) start = ops.next(holeEnd);
    }
    if (!cutAway) out.push(ops.piece(span, start, spanEnd));
  }
  return out;
}
