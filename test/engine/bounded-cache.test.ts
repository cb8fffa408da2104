import { strict as assert } from 'node:assert';
import { BoundedCache } from '../../src/engine/bounded-cache.js';

type Step = readonly ['set', string, number] | readonly ['get', string] | readonly ['delete', string] | readonly ['clear'];

describe('engine/bounded-cache: BoundedCache', () => {
  const cases: { name: string; maxEntries: number; maxBytes: number; steps: readonly Step[]; keys: string[]; bytes: number }[] = [
    {
      name: 'holds entries within both bounds',
      maxEntries: 3,
      maxBytes: 100,
      steps: [
        ['set', 'a', 10],
        ['set', 'b', 10],
      ],
      keys: ['a', 'b'],
      bytes: 20,
    },
    {
      name: 'the entry bound evicts the least recently set',
      maxEntries: 2,
      maxBytes: 100,
      steps: [
        ['set', 'a', 1],
        ['set', 'b', 1],
        ['set', 'c', 1],
      ],
      keys: ['b', 'c'],
      bytes: 2,
    },
    {
      name: 'a get makes an entry the most recently used',
      maxEntries: 2,
      maxBytes: 100,
      steps: [
        ['set', 'a', 1],
        ['set', 'b', 1],
        ['get', 'a'],
        ['set', 'c', 1],
      ],
      keys: ['a', 'c'],
      bytes: 2,
    },
    {
      name: 'the byte bound evicts until the weights fit',
      maxEntries: 10,
      maxBytes: 25,
      steps: [
        ['set', 'a', 10],
        ['set', 'b', 10],
        ['set', 'c', 10],
      ],
      keys: ['b', 'c'],
      bytes: 20,
    },
    {
      name: 'one heavy entry evicts several light ones',
      maxEntries: 10,
      maxBytes: 25,
      steps: [
        ['set', 'a', 5],
        ['set', 'b', 5],
        ['set', 'c', 5],
        ['set', 'd', 20],
      ],
      keys: ['c', 'd'],
      bytes: 25,
    },
    {
      name: 'an entry heavier than the whole budget is not stored, and evicts nothing',
      maxEntries: 10,
      maxBytes: 25,
      steps: [
        ['set', 'a', 5],
        ['set', 'big', 26],
      ],
      keys: ['a'],
      bytes: 5,
    },
    {
      name: 'setting a key again replaces its weight',
      maxEntries: 10,
      maxBytes: 100,
      steps: [
        ['set', 'a', 5],
        ['set', 'a', 30],
      ],
      keys: ['a'],
      bytes: 30,
    },
    {
      name: 'a replaced heavy key is dropped, not kept at its old weight',
      maxEntries: 10,
      maxBytes: 25,
      steps: [
        ['set', 'a', 5],
        ['set', 'a', 30],
      ],
      keys: [],
      bytes: 0,
    },
    {
      name: 'delete gives its bytes back',
      maxEntries: 10,
      maxBytes: 100,
      steps: [
        ['set', 'a', 5],
        ['set', 'b', 7],
        ['delete', 'a'],
      ],
      keys: ['b'],
      bytes: 7,
    },
    { name: 'clear empties entries and bytes', maxEntries: 10, maxBytes: 100, steps: [['set', 'a', 5], ['clear']], keys: [], bytes: 0 },
    { name: 'zero entries stores nothing', maxEntries: 0, maxBytes: 100, steps: [['set', 'a', 1]], keys: [], bytes: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cache = new BoundedCache<string, string>({ maxEntries: c.maxEntries, maxBytes: c.maxBytes });
      for (const step of c.steps) {
        if (step[0] === 'set') cache.set(step[1], `value of ${step[1]}`, step[2]);
        else if (step[0] === 'get') cache.get(step[1]);
        else if (step[0] === 'delete') cache.delete(step[1]);
        else cache.clear();
      }
      assert.deepEqual(['a', 'b', 'c', 'd', 'big'].filter((k) => cache.has(k)).sort(), [...c.keys].sort());
      for (const k of c.keys) assert.equal(cache.get(k), `value of ${k}`);
      assert.equal(cache.size, c.keys.length);
      assert.equal(cache.bytes, c.bytes);
    });
  }

  it('never exceeds either bound over many random operations', () => {
    const cache = new BoundedCache<number, number>({ maxEntries: 50, maxBytes: 1000 });
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 20_000; i += 1) {
      const key = next() % 200;
      if (next() % 4 === 0) cache.get(key);
      else cache.set(key, i, next() % 120);
      assert.ok(cache.size <= 50 && cache.bytes <= 1000, `size ${cache.size}, bytes ${cache.bytes}`);
    }
    assert.ok(cache.size > 0);
  });

  it('refuses negative bounds', () => {
    assert.throws(() => new BoundedCache({ maxEntries: -1, maxBytes: 1 }), RangeError);
  });
});
