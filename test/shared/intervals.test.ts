import { strict as assert } from 'node:assert';
import { mergeSpans, NUMBER_TUPLES, subtractSpans, type SpanOps } from '../../src/shared/intervals.js';

type Pair = readonly [number, number];
const BIGINT_PAIRS: SpanOps<readonly [bigint, bigint], bigint> = {
  start: (s) => s[0],
  end: (s) => s[1],
  piece: (of, start, end) => (start === of[0] && end === of[1] ? of : [start, end]),
  next: (x) => x + 1n,
  prev: (x) => x - 1n,
};
const big = (pairs: readonly Pair[]) => pairs.map(([s, e]) => [BigInt(s), BigInt(e)] as const);

describe('shared/intervals: one sweep for numbers and bigints', () => {
  const merges: { name: string; spans: Pair[]; want: Pair[] }[] = [
    { name: 'nothing stays nothing', spans: [], want: [] },
    {
      name: 'unsorted spans come out sorted',
      spans: [
        [7, 9],
        [1, 2],
      ],
      want: [
        [1, 2],
        [7, 9],
      ],
    },
    {
      name: 'overlapping spans merge',
      spans: [
        [1, 5],
        [3, 8],
      ],
      want: [[1, 8]],
    },
    {
      name: 'adjacent spans merge (inclusive bounds)',
      spans: [
        [1, 4],
        [5, 6],
      ],
      want: [[1, 6]],
    },
    {
      name: 'a nested span disappears',
      spans: [
        [1, 10],
        [2, 3],
      ],
      want: [[1, 10]],
    },
  ];
  for (const c of merges) {
    it(`mergeSpans: ${c.name}`, () => {
      assert.deepEqual(mergeSpans(c.spans, NUMBER_TUPLES), c.want);
      assert.deepEqual(mergeSpans(big(c.spans), BIGINT_PAIRS), big(c.want));
    });
  }

  const subtractions: { name: string; spans: Pair[]; holes: Pair[]; want: Pair[] }[] = [
    { name: 'no holes keep the spans', spans: [[1, 5]], holes: [], want: [[1, 5]] },
    {
      name: 'a hole inside splits the span',
      spans: [[1, 10]],
      holes: [[4, 6]],
      want: [
        [1, 3],
        [7, 10],
      ],
    },
    { name: 'a hole over the start trims it', spans: [[5, 10]], holes: [[1, 6]], want: [[7, 10]] },
    { name: 'a hole over the end trims it', spans: [[5, 10]], holes: [[9, 20]], want: [[5, 8]] },
    { name: 'a hole covering the span removes it', spans: [[5, 10]], holes: [[5, 10]], want: [] },
    {
      name: 'holes between spans cut nothing',
      spans: [
        [1, 2],
        [8, 9],
      ],
      holes: [[4, 6]],
      want: [
        [1, 2],
        [8, 9],
      ],
    },
    {
      name: 'one hole cuts two spans',
      spans: [
        [1, 5],
        [7, 12],
      ],
      holes: [[4, 8]],
      want: [
        [1, 3],
        [9, 12],
      ],
    },
    {
      name: 'overlapping spans are each cut',
      spans: [
        [1, 10],
        [2, 12],
      ],
      holes: [[5, 5]],
      want: [
        [1, 4],
        [6, 10],
        [2, 4],
        [6, 12],
      ],
    },
  ];
  for (const c of subtractions) {
    it(`subtractSpans: ${c.name}`, () => {
      assert.deepEqual(subtractSpans(c.spans, c.holes, NUMBER_TUPLES), c.want);
      assert.deepEqual(subtractSpans(big(c.spans), big(c.holes), BIGINT_PAIRS), big(c.want));
    });
  }

  it('spans of different groups never merge or cut each other (IP families)', () => {
    type Grouped = { readonly g: number; readonly s: number; readonly e: number };
    const GROUPED: SpanOps<Grouped, number> = {
      start: (x) => x.s,
      end: (x) => x.e,
      piece: (of, s, e) => ({ g: of.g, s, e }),
      next: (x) => x + 1,
      prev: (x) => x - 1,
      group: (x) => x.g,
    };
    const merged = mergeSpans(
      [
        { g: 6, s: 1, e: 5 },
        { g: 4, s: 3, e: 9 },
        { g: 4, s: 1, e: 2 },
      ],
      GROUPED,
    );
    assert.deepEqual(merged, [
      { g: 4, s: 1, e: 9 },
      { g: 6, s: 1, e: 5 },
    ]);
    assert.deepEqual(
      subtractSpans(
        [
          { g: 4, s: 0, e: 10 },
          { g: 6, s: 0, e: 10 },
        ],
        [{ g: 6, s: 3, e: 4 }],
        GROUPED,
      ),
      [
        { g: 4, s: 0, e: 10 },
        { g: 6, s: 0, e: 2 },
        { g: 6, s: 5, e: 10 },
      ],
    );
  });

  it('an uncut span is returned as the same object', () => {
    const span: Pair = [1, 5];
    assert.equal(subtractSpans([span], [[7, 8]], NUMBER_TUPLES)[0], span);
  });
});
