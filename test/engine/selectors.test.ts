import { strict as assert } from 'node:assert';
import { StagewallError } from '../../src/errors.js';
import { compileSelector, mayMatch, pinnedValues } from '../../src/engine/selectors.js';
import type { LabelSelector, LabelSelectorRequirement } from '../../src/engine/types.js';

const expr = (key: string, operator: string, values?: string[]): LabelSelectorRequirement =>
  values === undefined ? { key, operator } : { key, operator, values };
const sel = (...matchExpressions: LabelSelectorRequirement[]): LabelSelector => ({ matchExpressions });

describe('engine/selectors: compileSelector().matches', () => {
  const cases: { name: string; selector: LabelSelector | undefined | null; labels: Record<string, string> | undefined; want: boolean }[] = [
    { name: 'an empty selector selects everything', selector: {}, labels: {}, want: true },
    { name: 'an empty selector selects a labelled object too', selector: {}, labels: { a: 'b' }, want: true },
    { name: 'empty matchLabels and matchExpressions select everything', selector: { matchLabels: {}, matchExpressions: [] }, labels: { a: 'b' }, want: true },
    { name: 'an absent selector selects everything', selector: undefined, labels: { a: 'b' }, want: true },
    { name: 'a null selector is an omitted field and selects everything', selector: null, labels: { a: 'b' }, want: true },
    { name: 'an empty selector matches an object with no labels at all', selector: {}, labels: undefined, want: true },
    { name: 'matchLabels needs the key with that value', selector: { matchLabels: { a: 'b' } }, labels: { a: 'b' }, want: true },
    { name: 'matchLabels: another value does not match', selector: { matchLabels: { a: 'b' } }, labels: { a: 'c' }, want: false },
    { name: 'matchLabels: a missing key does not match', selector: { matchLabels: { a: 'b' } }, labels: { x: 'b' }, want: false },
    { name: 'matchLabels: undefined labels do not match', selector: { matchLabels: { a: 'b' } }, labels: undefined, want: false },
    { name: 'matchLabels: values are case-sensitive', selector: { matchLabels: { a: 'B' } }, labels: { a: 'b' }, want: false },
    { name: 'matchLabels: extra labels on the object do not matter', selector: { matchLabels: { a: 'b' } }, labels: { a: 'b', c: 'd' }, want: true },
    { name: 'matchLabels: every pair is needed (ANDed)', selector: { matchLabels: { a: 'b', c: 'd' } }, labels: { a: 'b' }, want: false },
    { name: 'matchLabels: every pair present matches', selector: { matchLabels: { a: 'b', c: 'd' } }, labels: { a: 'b', c: 'd' }, want: true },
    { name: '{k: ""} needs key k with the empty value', selector: { matchLabels: { k: '' } }, labels: { k: '' }, want: true },
    { name: '{k: ""} does not match a missing key', selector: { matchLabels: { k: '' } }, labels: {}, want: false },
    { name: '{k: ""} does not match a non-empty value', selector: { matchLabels: { k: '' } }, labels: { k: 'v' }, want: false },
    // In
    { name: 'In is true when the value is listed', selector: sel(expr('a', 'In', ['x'])), labels: { a: 'x' }, want: true },
    { name: 'In is false on an unlisted value', selector: sel(expr('a', 'In', ['x'])), labels: { a: 'y' }, want: false },
    { name: 'In is false on a missing key', selector: sel(expr('a', 'In', ['x'])), labels: {}, want: false },
    { name: 'In with several values matches any of them (first)', selector: sel(expr('a', 'In', ['x', 'y'])), labels: { a: 'x' }, want: true },
    { name: 'In with several values matches any of them (second)', selector: sel(expr('a', 'In', ['x', 'y'])), labels: { a: 'y' }, want: true },
    { name: 'In with several values rejects a third', selector: sel(expr('a', 'In', ['x', 'y'])), labels: { a: 'z' }, want: false },
    { name: 'In [""] matches the empty value', selector: sel(expr('a', 'In', [''])), labels: { a: '' }, want: true },
    { name: 'In [""] is false on a missing key', selector: sel(expr('a', 'In', [''])), labels: {}, want: false },
    // NotIn
    { name: 'NotIn is true on a missing key', selector: sel(expr('a', 'NotIn', ['x'])), labels: {}, want: true },
    { name: 'NotIn is false when the value is listed', selector: sel(expr('a', 'NotIn', ['x'])), labels: { a: 'x' }, want: false },
    { name: 'NotIn is true on an unlisted value', selector: sel(expr('a', 'NotIn', ['x'])), labels: { a: 'y' }, want: true },
    { name: 'NotIn with several values rejects each (second)', selector: sel(expr('a', 'NotIn', ['x', 'y'])), labels: { a: 'y' }, want: false },
    { name: 'NotIn with several values admits others', selector: sel(expr('a', 'NotIn', ['x', 'y'])), labels: { a: 'z' }, want: true },
    { name: 'NotIn is true on undefined labels', selector: sel(expr('a', 'NotIn', ['x'])), labels: undefined, want: true },
    // Exists / DoesNotExist
    { name: 'Exists is true on a present key', selector: sel(expr('a', 'Exists')), labels: { a: 'x' }, want: true },
    { name: 'Exists is true on a present key with the empty value', selector: sel(expr('a', 'Exists')), labels: { a: '' }, want: true },
    { name: 'Exists is false on a missing key', selector: sel(expr('a', 'Exists')), labels: {}, want: false },
    { name: 'Exists with an empty values list is allowed and works', selector: sel(expr('a', 'Exists', [])), labels: { a: 'x' }, want: true },
    { name: 'DoesNotExist is true on a missing key', selector: sel(expr('a', 'DoesNotExist')), labels: {}, want: true },
    { name: 'DoesNotExist is false on a present key', selector: sel(expr('a', 'DoesNotExist')), labels: { a: 'x' }, want: false },
    { name: 'DoesNotExist is false on a key with the empty value', selector: sel(expr('a', 'DoesNotExist')), labels: { a: '' }, want: false },
    { name: 'DoesNotExist is true on undefined labels', selector: sel(expr('a', 'DoesNotExist')), labels: undefined, want: true },
    // combinations
    {
      name: 'In + NotIn on one key: allowed value passes both',
      selector: sel(expr('a', 'In', ['x', 'y']), expr('a', 'NotIn', ['y'])),
      labels: { a: 'x' },
      want: true,
    },
    {
      name: 'In + NotIn on one key: excluded value fails',
      selector: sel(expr('a', 'In', ['x', 'y']), expr('a', 'NotIn', ['y'])),
      labels: { a: 'y' },
      want: false,
    },
    { name: 'In + NotIn on one key: missing key fails (In)', selector: sel(expr('a', 'In', ['x']), expr('a', 'NotIn', ['y'])), labels: {}, want: false },
    { name: 'In + NotIn of the same value never matches', selector: sel(expr('a', 'In', ['x']), expr('a', 'NotIn', ['x'])), labels: { a: 'x' }, want: false },
    {
      name: 'Exists + DoesNotExist on one key never matches (present)',
      selector: sel(expr('a', 'Exists'), expr('a', 'DoesNotExist')),
      labels: { a: 'x' },
      want: false,
    },
    { name: 'Exists + DoesNotExist on one key never matches (absent)', selector: sel(expr('a', 'Exists'), expr('a', 'DoesNotExist')), labels: {}, want: false },
    {
      name: 'matchLabels and matchExpressions are ANDed',
      selector: { matchLabels: { a: 'b' }, matchExpressions: [expr('c', 'Exists')] },
      labels: { a: 'b' },
      want: false,
    },
    {
      name: 'matchLabels and matchExpressions both satisfied match',
      selector: { matchLabels: { a: 'b' }, matchExpressions: [expr('c', 'Exists')] },
      labels: { a: 'b', c: '' },
      want: true,
    },
    {
      name: 'matchLabels and a contradicting NotIn on the same key never match',
      selector: { matchLabels: { a: 'b' }, matchExpressions: [expr('a', 'NotIn', ['b'])] },
      labels: { a: 'b' },
      want: false,
    },
    {
      name: 'several expressions are ANDed: one failing fails',
      selector: sel(expr('a', 'Exists'), expr('b', 'DoesNotExist')),
      labels: { a: '1', b: '2' },
      want: false,
    },
    {
      name: 'several expressions are ANDed: all holding matches',
      selector: sel(expr('a', 'Exists'), expr('b', 'DoesNotExist')),
      labels: { a: '1' },
      want: true,
    },
    { name: 'an inherited property is not a label', selector: sel(expr('toString', 'Exists')), labels: {}, want: false },
    { name: 'an inherited property is not a label (DoesNotExist)', selector: sel(expr('constructor', 'DoesNotExist')), labels: {}, want: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(compileSelector(c.selector).matches(c.labels), c.want);
    });
  }
});

describe('engine/selectors: compileSelector().selectsAll', () => {
  const cases: { name: string; selector: LabelSelector | undefined | null; want: boolean }[] = [
    { name: '{} selects all', selector: {}, want: true },
    { name: 'undefined selects all', selector: undefined, want: true },
    { name: 'null selects all', selector: null, want: true },
    { name: 'empty lists select all', selector: { matchLabels: {}, matchExpressions: [] }, want: true },
    { name: 'one matchLabels pair narrows', selector: { matchLabels: { a: '' } }, want: false },
    { name: 'a NotIn narrows even if it holds on a missing key', selector: sel(expr('a', 'NotIn', ['x'])), want: false },
    { name: 'a DoesNotExist narrows', selector: sel(expr('a', 'DoesNotExist')), want: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(compileSelector(c.selector).selectsAll, c.want);
    });
  }
});

describe('engine/selectors: invalid selectors throw SELECTOR_INVALID', () => {
  const cases: { name: string; selector: LabelSelector; message: RegExp }[] = [
    { name: 'In with no values', selector: sel(expr('a', 'In', [])), message: /In on key "a" needs at least one value/ },
    { name: 'In with values omitted', selector: sel(expr('a', 'In')), message: /In on key "a" needs at least one value/ },
    { name: 'NotIn with no values', selector: sel(expr('a', 'NotIn', [])), message: /NotIn on key "a" needs at least one value/ },
    { name: 'Exists with values', selector: sel(expr('a', 'Exists', ['x'])), message: /Exists on key "a" must have no values/ },
    { name: 'DoesNotExist with values', selector: sel(expr('a', 'DoesNotExist', ['x'])), message: /DoesNotExist on key "a" must have no values/ },
    { name: 'an unknown operator', selector: sel(expr('a', 'Equals', ['x'])), message: /unknown operator "Equals" on key "a"/ },
    { name: 'operators are case-sensitive', selector: sel(expr('a', 'in', ['x'])), message: /unknown operator "in"/ },
    { name: 'an empty key', selector: sel(expr('', 'Exists')), message: /has no key/ },
    { name: 'a missing key', selector: sel({ operator: 'Exists' } as LabelSelectorRequirement), message: /has no key/ },
    {
      name: 'a bad expression after good ones still throws',
      selector: { matchLabels: { a: 'b' }, matchExpressions: [expr('c', 'Exists'), expr('d', 'Bogus')] },
      message: /unknown operator "Bogus" on key "d"/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.throws(
        () => compileSelector(c.selector, 'NetworkPolicy ns/p spec.podSelector'),
        (err: unknown) =>
          err instanceof StagewallError &&
          err.code === 'SELECTOR_INVALID' &&
          c.message.test(err.message) &&
          err.message.startsWith('NetworkPolicy ns/p spec.podSelector: '),
      );
    });
  }
});

describe('engine/selectors: mayMatch (satisfiability with pinned keys)', () => {
  const cases: {
    name: string;
    selector: LabelSelector;
    fixed: Record<string, string | null>;
    present?: string[];
    want: boolean;
  }[] = [
    { name: 'the empty selector may match anything', selector: {}, fixed: { a: 'x' }, want: true },
    { name: 'the empty selector may match an object pinned with nothing', selector: {}, fixed: {}, want: true },
    { name: 'a pinned key with the selected value may match', selector: { matchLabels: { a: 'x' } }, fixed: { a: 'x' }, want: true },
    { name: 'a pinned key with another value cannot match', selector: { matchLabels: { a: 'x' } }, fixed: { a: 'y' }, want: false },
    { name: 'a key pinned absent (null) cannot satisfy matchLabels', selector: { matchLabels: { a: 'x' } }, fixed: { a: null }, want: false },
    { name: 'a key pinned absent (null) cannot satisfy Exists', selector: sel(expr('a', 'Exists')), fixed: { a: null }, want: false },
    { name: 'a key pinned absent (null) satisfies DoesNotExist', selector: sel(expr('a', 'DoesNotExist')), fixed: { a: null }, want: true },
    { name: 'a key pinned absent (null) satisfies NotIn', selector: sel(expr('a', 'NotIn', ['x'])), fixed: { a: null }, want: true },
    { name: 'a pinned present key fails DoesNotExist', selector: sel(expr('a', 'DoesNotExist')), fixed: { a: 'x' }, want: false },
    { name: 'a pinned listed value fails NotIn', selector: sel(expr('a', 'NotIn', ['x'])), fixed: { a: 'x' }, want: false },
    { name: 'an unpinned key may take the In value', selector: sel(expr('a', 'In', ['x'])), fixed: {}, want: true },
    { name: 'an unpinned key may be absent for DoesNotExist', selector: sel(expr('a', 'DoesNotExist')), fixed: {}, want: true },
    { name: 'an unpinned key may take some other value for NotIn', selector: sel(expr('a', 'NotIn', ['x'])), fixed: {}, want: true },
    { name: 'an unpinned key may exist for Exists', selector: sel(expr('a', 'Exists')), fixed: {}, want: true },
    { name: 'a present key cannot be absent: DoesNotExist impossible', selector: sel(expr('a', 'DoesNotExist')), fixed: {}, present: ['a'], want: false },
    { name: 'a present key satisfies Exists', selector: sel(expr('a', 'Exists')), fixed: {}, present: ['a'], want: true },
    { name: 'a present key may take an unlisted value for NotIn', selector: sel(expr('a', 'NotIn', ['x', 'y'])), fixed: {}, present: ['a'], want: true },
    { name: 'a present key may take the In value', selector: sel(expr('a', 'In', ['x'])), fixed: {}, present: ['a'], want: true },
    {
      name: 'a pinned key wins over present: pinned null still satisfies DoesNotExist',
      selector: sel(expr('a', 'DoesNotExist')),
      fixed: { a: null },
      present: ['a'],
      want: true,
    },
    { name: 'contradiction In[a] + NotIn[a] is unsatisfiable', selector: sel(expr('k', 'In', ['a']), expr('k', 'NotIn', ['a'])), fixed: {}, want: false },
    { name: 'In[a,b] + NotIn[a] is satisfiable with b', selector: sel(expr('k', 'In', ['a', 'b']), expr('k', 'NotIn', ['a'])), fixed: {}, want: true },
    { name: 'In[a] + In[b] is unsatisfiable', selector: sel(expr('k', 'In', ['a']), expr('k', 'In', ['b'])), fixed: {}, want: false },
    { name: 'In[a,b] + In[b,c] is satisfiable with b', selector: sel(expr('k', 'In', ['a', 'b']), expr('k', 'In', ['b', 'c'])), fixed: {}, want: true },
    { name: 'contradiction Exists + DoesNotExist is unsatisfiable', selector: sel(expr('k', 'Exists'), expr('k', 'DoesNotExist')), fixed: {}, want: false },
    { name: 'In + DoesNotExist is unsatisfiable', selector: sel(expr('k', 'In', ['a']), expr('k', 'DoesNotExist')), fixed: {}, want: false },
    { name: 'NotIn + DoesNotExist is satisfiable (absent)', selector: sel(expr('k', 'NotIn', ['a']), expr('k', 'DoesNotExist')), fixed: {}, want: true },
    {
      name: 'NotIn + DoesNotExist is unsatisfiable on a present key',
      selector: sel(expr('k', 'NotIn', ['a']), expr('k', 'DoesNotExist')),
      fixed: {},
      present: ['k'],
      want: false,
    },
    { name: 'NotIn + Exists is satisfiable by some other value', selector: sel(expr('k', 'NotIn', ['a']), expr('k', 'Exists')), fixed: {}, want: true },
    {
      name: 'matchLabels + contradicting NotIn is unsatisfiable',
      selector: { matchLabels: { k: 'a' }, matchExpressions: [expr('k', 'NotIn', ['a'])] },
      fixed: {},
      want: false,
    },
    {
      name: 'matchLabels {k: ""} + Exists is satisfiable',
      selector: { matchLabels: { k: '' }, matchExpressions: [expr('k', 'Exists')] },
      fixed: {},
      want: true,
    },
    {
      name: 'one unsatisfiable key fails the whole selector even when others are fine',
      selector: { matchLabels: { ok: 'yes' }, matchExpressions: [expr('k', 'Exists'), expr('k', 'DoesNotExist')] },
      fixed: { ok: 'yes' },
      want: false,
    },
    {
      name: 'pinned and unpinned keys are judged together',
      selector: { matchLabels: { p: 'etl', s: 'load' }, matchExpressions: [expr('team', 'In', ['data'])] },
      fixed: { p: 'etl', s: 'load' },
      want: true,
    },
    {
      name: 'a pinned key mismatch fails even when the unpinned keys could match',
      selector: { matchLabels: { p: 'etl', s: 'load' }, matchExpressions: [expr('team', 'In', ['data'])] },
      fixed: { p: 'etl', s: 'extract' },
      want: false,
    },
    { name: 'pinned keys the selector does not mention are irrelevant', selector: { matchLabels: { a: 'x' } }, fixed: { b: null, c: 'y' }, want: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(mayMatch(compileSelector(c.selector), c.fixed, c.present), c.want);
    });
  }
});

describe('engine/selectors: pinnedValues', () => {
  const cases: { name: string; selector: LabelSelector; key: string; want: string[] | undefined }[] = [
    { name: 'the empty selector pins nothing', selector: {}, key: 'k', want: undefined },
    { name: 'matchLabels pins its value', selector: { matchLabels: { k: 'a' } }, key: 'k', want: ['a'] },
    { name: 'matchLabels on another key pins nothing here', selector: { matchLabels: { other: 'a' } }, key: 'k', want: undefined },
    { name: 'In pins its values', selector: sel(expr('k', 'In', ['a', 'b'])), key: 'k', want: ['a', 'b'] },
    { name: 'NotIn alone pins nothing (any other value)', selector: sel(expr('k', 'NotIn', ['a'])), key: 'k', want: undefined },
    { name: 'Exists alone pins nothing', selector: sel(expr('k', 'Exists')), key: 'k', want: undefined },
    { name: 'DoesNotExist alone pins nothing', selector: sel(expr('k', 'DoesNotExist')), key: 'k', want: undefined },
    { name: 'two In on one key intersect', selector: sel(expr('k', 'In', ['a', 'b']), expr('k', 'In', ['b', 'c'])), key: 'k', want: ['b'] },
    { name: 'matchLabels and In intersect', selector: { matchLabels: { k: 'a' }, matchExpressions: [expr('k', 'In', ['a', 'b'])] }, key: 'k', want: ['a'] },
    { name: 'disjoint In sets pin the empty set', selector: sel(expr('k', 'In', ['a']), expr('k', 'In', ['b'])), key: 'k', want: [] },
    { name: 'In less NotIn: NotIn values are removed', selector: sel(expr('k', 'In', ['a', 'b']), expr('k', 'NotIn', ['a'])), key: 'k', want: ['b'] },
    { name: 'NotIn before In is removed too', selector: sel(expr('k', 'NotIn', ['b']), expr('k', 'In', ['a', 'b'])), key: 'k', want: ['a'] },
    { name: 'In + DoesNotExist pins the empty set', selector: sel(expr('k', 'In', ['a']), expr('k', 'DoesNotExist')), key: 'k', want: [] },
    { name: 'In + Exists keeps the In values', selector: sel(expr('k', 'In', ['a']), expr('k', 'Exists')), key: 'k', want: ['a'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = pinnedValues(compileSelector(c.selector), c.key);
      assert.deepEqual(got === undefined ? undefined : [...got].sort(), c.want);
    });
  }
});
