import { strict as assert } from 'node:assert';
import { compileSelector } from '../../src/engine/selectors.js';
import type { LabelSelector } from '../../src/engine/types.js';

describe('engine/selectors: compileSelector().matches', () => {
  const cases: { name: string; selector: LabelSelector | undefined; labels: Record<string, string>; want: boolean }[] = [
    { name: 'an empty selector selects everything', selector: {}, labels: {}, want: true },
    { name: 'an absent selector selects everything', selector: undefined, labels: { a: 'b' }, want: true },
    { name: 'matchLabels needs the key with that value', selector: { matchLabels: { a: 'b' } }, labels: { a: 'b' }, want: true },
    { name: '{k: ""} needs key k with the empty value', selector: { matchLabels: { k: '' } }, labels: { k: '' }, want: true },
    { name: '{k: ""} does not match a missing key', selector: { matchLabels: { k: '' } }, labels: {}, want: false },
    { name: 'In is false on a missing key', selector: { matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }] }, labels: {}, want: false },
    { name: 'NotIn is true on a missing key', selector: { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, labels: {}, want: true },
    { name: 'Exists is false on a missing key', selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] }, labels: {}, want: false },
    { name: 'DoesNotExist is true on a missing key', selector: { matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, labels: {}, want: true },
    {
      name: 'matchLabels and matchExpressions are ANDed',
      selector: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'Exists' }] },
      labels: { a: 'b' },
      want: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(compileSelector(c.selector).matches(c.labels), c.want);
    });
  }
});
