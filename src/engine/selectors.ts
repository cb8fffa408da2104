// Label selectors with exactly Kubernetes' semantics (apimachinery labels.Selector):
// matchLabels and matchExpressions are ANDed; In/Exists are false on a missing key, NotIn and
// DoesNotExist are true on it; an empty selector selects everything. A null or absent selector
// is treated as empty: in a NetworkPolicy a JSON null is an omitted field, never "select nothing".
import { StagewallError } from '../errors.js';
import { BoundedCache, type BoundedCacheOptions } from './bounded-cache.js';
import { isRecord, type LabelSelector, type Labels, type LabelSelectorRequirement } from './types.js';

interface Requirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: ReadonlySet<string>;
}

/**
 * Every requirement of a selector on one key, folded when the selector is compiled, so that
 * matching a value, and asking whether some value could match, each cost O(1) however many
 * requirements and values the key has.
 */
export interface KeyConstraint {
  readonly key: string;
  readonly requirements: readonly Requirement[];
  /** Every requirement holds on a missing key: there is no In and no Exists. */
  readonly absentOk: boolean;
  /** There is no DoesNotExist, so a present value may hold. */
  readonly presentOk: boolean;
  /** With In: the values of every In set and of no NotIn, in the first In's order; else undefined. */
  readonly allowed: ReadonlySet<string> | undefined;
  /** Every NotIn value. */
  readonly excluded: ReadonlySet<string>;
  /** Some present value satisfies every requirement on the key (as mayMatch asks it). */
  readonly presentSatisfiable: boolean;
}

export interface CompiledSelector {
  /** True when the selector has no requirement at all, so it selects everything. */
  readonly selectsAll: boolean;
  readonly requirements: readonly Requirement[];
  /** The requirements folded per key, in the order the keys first appear. */
  readonly byKey: ReadonlyMap<string, KeyConstraint>;
  /** How many keys must be present (absentOk false). */
  readonly requiredKeys: number;
  /** How many keys neither a value nor absence satisfies. */
  readonly impossibleKeys: number;
  matches(labels: Labels | undefined): boolean;
}

const EMPTY_LABELS: Labels = Object.freeze({});
const NO_VALUES: ReadonlySet<string> = new Set<string>();
const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/** Do all the requirements on one key hold for this value (undefined: the key is missing)? */
function holds(constraint: KeyConstraint, value: string | undefined): boolean {
  if (value === undefined) return constraint.absentOk;
  if (!constraint.presentOk) return false;
  return constraint.allowed ? constraint.allowed.has(value) : !constraint.excluded.has(value);
}

function compileRequirement(expr: LabelSelectorRequirement, where: string): Requirement {
  const { key, operator } = expr;
  const values = expr.values ?? [];
  if (typeof key !== 'string' || key === '') {
    throw new StagewallError('SELECTOR_INVALID', `${where}: a matchExpressions entry has no key`);
  }
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) {
        throw new StagewallError('SELECTOR_INVALID', `${where}: operator ${operator} on key "${key}" needs at least one value`);
      }
      return { key, operator, values: new Set(values) };
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) {
        throw new StagewallError('SELECTOR_INVALID', `${where}: operator ${operator} on key "${key}" must have no values`);
      }
      return { key, operator, values: new Set() };
    default:
      throw new StagewallError('SELECTOR_INVALID', `${where}: unknown operator "${String(operator)}" on key "${key}" (use In, NotIn, Exists or DoesNotExist)`);
  }
}

/**
 * The In sets intersected in O(total values): the smallest set first, so no pass is longer than
 * its own set; the result keeps the first In's order (peers list namespaces in that order).
 */
function intersectIn(sets: readonly ReadonlySet<string>[], excluded: ReadonlySet<string>): Set<string> {
  let smallest = sets[0]!;
  for (const set of sets) if (set.size < smallest.size) smallest = set;
  let common = [...smallest].filter((v) => !excluded.has(v));
  for (const set of sets) {
    if (set === smallest) continue;
    common = common.filter((v) => set.has(v));
    if (common.length === 0) return new Set();
  }
  if (smallest === sets[0]) return new Set(common);
  const keep = new Set(common);
  const ordered = new Set<string>();
  for (const v of sets[0]!) if (keep.has(v)) ordered.add(v);
  return ordered;
}

/** One requirement alone on its key, the common case: its own value set, nothing copied. */
function foldOne(req: Requirement): KeyConstraint {
  const isIn = req.operator === 'In';
  const excluded = req.operator === 'NotIn' ? req.values : NO_VALUES;
  const presentOk = req.operator !== 'DoesNotExist';
  const allowed = isIn ? req.values : undefined;
  return {
    key: req.key,
    requirements: [req],
    absentOk: !isIn && req.operator !== 'Exists',
    presentOk,
    allowed,
    excluded,
    presentSatisfiable: presentOk && (allowed ? allowed.size > 0 : !excluded.has(OTHER_VALUE)),
  };
}

function foldKey(key: string, requirements: readonly Requirement[]): KeyConstraint {
  if (requirements.length === 1) return foldOne(requirements[0]!);
  const inSets: ReadonlySet<string>[] = [];
  let excluded: Set<string> | undefined;
  let exists = false;
  let doesNotExist = false;
  for (const req of requirements) {
    if (req.operator === 'In') inSets.push(req.values);
    else if (req.operator === 'NotIn') {
      excluded ??= new Set();
      for (const v of req.values) excluded.add(v);
    } else if (req.operator === 'Exists') exists = true;
    else doesNotExist = true;
  }
  const notIn = excluded ?? NO_VALUES;
  const allowed = inSets.length > 0 ? intersectIn(inSets, notIn) : undefined;
  const presentOk = !doesNotExist;
  return {
    key,
    requirements,
    absentOk: inSets.length === 0 && !exists,
    presentOk,
    allowed,
    excluded: notIn,
    // Without In, the values tried are "some other value" and the NotIn ones (which fail).
    presentSatisfiable: presentOk && (allowed ? allowed.size > 0 : !notIn.has(OTHER_VALUE)),
  };
}

/** Matching a selector with more requirements than this walks the labels instead, if fewer. */
const FEW_REQUIREMENTS = 16;

function compileUncached(selector: LabelSelector | undefined | null, where: string): CompiledSelector {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    requirements.push({ key, operator: 'In', values: new Set([String(value)]) });
  }
  for (const expr of selector?.matchExpressions ?? []) {
    requirements.push(compileRequirement(expr, where));
  }
  const grouped = new Map<string, Requirement[]>();
  for (const req of requirements) {
    const list = grouped.get(req.key);
    if (list) list.push(req);
    else grouped.set(req.key, [req]);
  }
  const byKey = new Map<string, KeyConstraint>();
  const constraints: KeyConstraint[] = [];
  let requiredKeys = 0;
  let impossibleKeys = 0;
  for (const [key, reqs] of grouped) {
    const constraint = foldKey(key, reqs);
    byKey.set(key, constraint);
    constraints.push(constraint);
    if (!constraint.absentOk) requiredKeys += 1;
    if (!constraint.absentOk && !constraint.presentSatisfiable) impossibleKeys += 1;
  }
  return new FoldedSelector(requirements, byKey, constraints, requiredKeys, impossibleKeys);
}

/** A class, so that compiling a selector creates no closures: one per review adds up. */
class FoldedSelector implements CompiledSelector {
  readonly selectsAll: boolean;

  constructor(
    readonly requirements: readonly Requirement[],
    readonly byKey: ReadonlyMap<string, KeyConstraint>,
    private readonly constraints: readonly KeyConstraint[],
    readonly requiredKeys: number,
    readonly impossibleKeys: number,
  ) {
    this.selectsAll = requirements.length === 0;
  }

  matches(labels: Labels | undefined): boolean {
    const l = labels ?? EMPTY_LABELS;
    const constraints = this.constraints;
    if (constraints.length > FEW_REQUIREMENTS && isRecord(l)) {
      // Many keys (a hostile selector against a namespace's few labels): walk the labels, and
      // count the keys that must be present among them.
      const keys = Object.keys(l);
      if (keys.length < constraints.length) {
        let found = 0;
        for (const key of keys) {
          const c = this.byKey.get(key);
          if (c === undefined) continue;
          if (!holds(c, l[key])) return false;
          if (!c.absentOk) found += 1;
        }
        return found === this.requiredKeys;
      }
    }
    for (const c of constraints) if (!holds(c, hasOwn(l, c.key) ? l[c.key] : undefined)) return false;
    return true;
  }
}

/** A value that no selector names, standing for "some other value" in satisfiability checks. */
const OTHER_VALUE = '\u0000stagewall-other';

/**
 * A cache of compiled selectors, keyed by selectorKey. Only the view's policies use one: an
 * object under review is compiled uncached, so it cannot grow anything that outlives its request.
 */
export type SelectorCache = BoundedCache<string, CompiledSelector>;

/** Entries and bytes of a view's selector cache: far above a large cluster's distinct selectors. */
export const SELECTOR_CACHE_LIMITS = { maxEntries: 50_000, maxBytes: 64 * 2 ** 20 } as const;

export function createSelectorCache(limits: BoundedCacheOptions = SELECTOR_CACHE_LIMITS): SelectorCache {
  return new BoundedCache(limits);
}

/** Appends a string so that no two sequences of strings give the same key. */
const part = (text: string) => `${text.length}:${text}`;

/**
 * The cache key of a selector, from the fields Kubernetes defines only (matchLabels, and the key,
 * operator and values of matchExpressions): any other field is ignored, as the API server drops
 * it, and nothing is walked deeper than those. Undefined when a field is not of its type (such a
 * selector is compiled uncached, so its key need not say how compiling reads it).
 */
export function selectorKey(selector: LabelSelector | undefined | null): string | undefined {
  if (selector === undefined || selector === null) return '';
  if (!isRecord(selector)) return undefined;
  const { matchLabels, matchExpressions } = selector;
  const parts: string[] = [];
  if (matchLabels !== undefined) {
    if (!isRecord(matchLabels)) return undefined;
    for (const key in matchLabels) {
      if (!hasOwn(matchLabels, key)) continue;
      const value = matchLabels[key];
      if (typeof value !== 'string') return undefined;
      parts.push(part(key), part(value));
    }
  }
  parts.push('|');
  if (matchExpressions !== undefined) {
    if (!Array.isArray(matchExpressions)) return undefined;
    for (const expr of matchExpressions as unknown[]) {
      if (!isRecord(expr)) return undefined;
      const { key, operator, values } = expr;
      if (typeof key !== 'string' || typeof operator !== 'string') return undefined;
      if (values !== undefined && !Array.isArray(values)) return undefined;
      const list = (values ?? []) as unknown[];
      parts.push(part(key), part(operator), `${list.length}`);
      for (const v of list) {
        if (typeof v !== 'string') return undefined;
        parts.push(part(v));
      }
    }
  }
  return parts.join(',');
}

/** A rough size of a compiled selector in bytes, for the cache's byte bound. */
function weightOf(key: string, selector: CompiledSelector): number {
  let values = 0;
  for (const req of selector.requirements) values += req.values.size;
  return 2 * key.length + 160 * selector.requirements.length + 48 * values + 256;
}

/**
 * Compiles a selector so that matching allocates nothing. `undefined` means an absent selector,
 * which in a NetworkPolicy (podSelector, namespaceSelector) selects everything. With a cache,
 * identical selectors (the same pipeline and stage labels in every namespace) are compiled once
 * and shared: compiled selectors are immutable.
 */
export function compileSelector(selector: LabelSelector | undefined | null, where = 'selector', cache?: SelectorCache): CompiledSelector {
  const key = cache ? selectorKey(selector) : undefined;
  if (key === undefined || cache === undefined) return compileUncached(selector, where);
  const cached = cache.get(key);
  if (cached) return cached;
  const result = compileUncached(selector, where);
  cache.set(key, result, weightOf(key, result));
  return result;
}

/**
 * Could some object whose labels agree with `fixed` be matched by the selector? Keys in `fixed`
 * are pinned (`null` pins the key as absent); every other key may take any value or be absent,
 * except keys in `present`, which always exist (e.g. `kubernetes.io/metadata.name`).
 * This is how a peer is resolved conservatively: to everything it *may* match. O(|fixed| +
 * |present|): the per-key satisfiability was settled when the selector was compiled.
 */
export function mayMatch(selector: CompiledSelector, fixed: Readonly<Record<string, string | null>>, present: readonly string[] = []): boolean {
  let impossibleFixed = 0;
  for (const key of Object.keys(fixed)) {
    const c = selector.byKey.get(key);
    if (c === undefined) continue;
    if (!holds(c, fixed[key] ?? undefined)) return false;
    if (!c.absentOk && !c.presentSatisfiable) impossibleFixed += 1;
  }
  if (selector.impossibleKeys > impossibleFixed) return false;
  for (const key of present) {
    if (hasOwn(fixed, key)) continue;
    const c = selector.byKey.get(key);
    if (c !== undefined && !c.presentSatisfiable) return false;
  }
  return true;
}

/**
 * The values the selector allows for `key`, when it pins the key to a finite set (matchLabels or
 * In, less any NotIn values; empty under DoesNotExist); `undefined` when any value could match.
 * The set is the compiled selector's own: read it, never change it.
 */
export function pinnedValues(selector: CompiledSelector, key: string): ReadonlySet<string> | undefined {
  const c = selector.byKey.get(key);
  if (c?.allowed === undefined) return undefined;
  return c.presentOk ? c.allowed : NO_VALUES;
}

/** The requirements on one key, in the selector's order. */
export function requirementsOn(selector: CompiledSelector, key: string): readonly Requirement[] {
  return selector.byKey.get(key)?.requirements ?? [];
}
