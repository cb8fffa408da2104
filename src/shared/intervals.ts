// Inclusive intervals over numbers (ports) or bigints (addresses): sorted and merged once, then
// swept together. Port sets and IP ranges keep their own shapes; `SpanOps` reads and builds them.

/** How to read, build and step one kind of interval `S` whose bounds are `T`. */
export interface SpanOps<S, T extends number | bigint> {
  start(span: S): T;
  end(span: S): T;
  /** The piece [start, end] of `of`: `of` itself when nothing was cut, so callers keep their objects. */
  piece(of: S, start: T, end: T): S;
  /** The bound right after and right before `x`: what adjacent means. */
  next(x: T): T;
  prev(x: T): T;
}

/** Spans as `[start, end]` tuples of numbers, as port sets hold them. */
export const NUMBER_TUPLES: SpanOps<readonly [number, number], number> = {
  start: (s) => s[0],
  end: (s) => s[1],
  piece: (of, start, end) => (start === of[0] && end === of[1] ? of : [start, end]),
  next: (x) => x + 1,
  prev: (x) => x - 1,
};

/** Sorts by start; stable, so equal starts keep their order. */
export function sortSpans<S, T extends number | bigint>(spans: readonly S[], ops: SpanOps<S, T>): S[] {
  return [...spans].sort((a, b) => {
    const x = ops.start(a);
    const y = ops.start(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** The spans sorted and merged into disjoint, non-adjacent spans. */
export function mergeSpans<S, T extends number | bigint>(spans: readonly S[], ops: SpanOps<S, T>): S[] {
  const out: S[] = [];
  let last: { of: S; start: T; end: T } | undefined;
  for (const span of sortSpans(spans, ops)) {
    const start = ops.start(span);
    const end = ops.end(span);
    if (last && start <= ops.next(last.end)) {
      if (end > last.end) last.end = end;
      continue;
    }
    if (last) out.push(ops.piece(last.of, last.start, last.end));
    last = { of: span, start, end };
  }
  if (last) out.push(ops.piece(last.of, last.start, last.end));
  return out;
}

/**
 * `spans` minus `holes`, in one sweep: `spans` sorted by start (they may overlap), `holes` merged
 * (as mergeSpans gives them). O(spans + holes + output); the pieces come out span by span.
 */
export function subtractSpans<S, T extends number | bigint>(spans: readonly S[], holes: readonly S[], ops: SpanOps<S, T>): S[] {
  const out: S[] = [];
  let j = 0;
  for (const span of spans) {
    const spanStart = ops.start(span);
    const spanEnd = ops.end(span);
    let start = spanStart;
    // Holes that end before this span's start end before every later span's start too.
    while (j < holes.length && ops.end(holes[j]!) < start) j += 1;
    let cutAway = false;
    for (let k = j; k < holes.length && ops.start(holes[k]!) <= spanEnd; k += 1) {
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
