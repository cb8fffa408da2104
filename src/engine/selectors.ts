// Label selectors with exactly Kubernetes' semantics (apimachinery labels.Selector):
// matchLabels and matchExpressions are ANDed; In/Exists are false on a missing key, NotIn and
// DoesNotExist are true on it; an empty selector selects everything. A null or absent selector
// is treated as empty: in a NetworkPolicy a JSON null is an omitted field, never "select nothing".
import { StagewallError } from '../errors.js';
import type { LabelSelector, Labels, LabelSelectorRequirement } from './types.js';

interface Requirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: ReadonlySet<string>;
}

export interface CompiledSelector {
  /** True when the selector has no requirement at all, so it selects everything. */
  readonly selectsAll: boolean;
  readonly requirements: readonly Requirement[];
  matches(labels: Labels | undefined): boolean;
}

const EMPTY_LABELS: Labels = Object.freeze({});

function requirementHolds(req: Requirement, value: string | undefined): boolean {
  switch (req.operator) {
    case 'In':
      return value !== undefined && req.values.has(value);
    case 'NotIn':
      return value === undefined || !req.values.has(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
  }
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
      throw new StagewallError(
        'SELECTOR_INVALID',
        `${where}: unknown operator "${String(operator)}" on key "${key}" (use In, NotIn, Exists or DoesNotExist)`,
      );
  }
}

/**
 * Compiles a selector once so that matching allocates nothing. `undefined` means an absent
 * selector, which in a NetworkPolicy (podSelector, namespaceSelector) selects everything.
 */
export function compileSelector(selector: LabelSelector | undefined | null, where = 'selector'): CompiledSelector {
  // Identical selectors repeat across a cluster's policies (the same pipeline and stage labels in
  // every namespace): compile each once and share it. Compiled selectors are immutable.
  const key = JSON.stringify(selector ?? {});
  const cached = compiled.get(key);
  if (cached) return cached;
  const result = compileUncached(selector, where);
  if (compiled.size >= 50_000) compiled.clear();
  compiled.set(key, result);
  return result;
}

const compiled = new Map<string, CompiledSelector>();

function compileUncached(selector: LabelSelector | undefined | null, where: string): CompiledSelector {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    requirements.push({ key, operator: 'In', values: new Set([String(value)]) });
  }
  for (const expr of selector?.matchExpressions ?? []) {
    requirements.push(compileRequirement(expr, where));
  }
  return {
    selectsAll: requirements.length === 0,
    requirements,
    matches(labels) {
      const l = labels ?? EMPTY_LABELS;
      for (const req of requirements) {
        if (!requirementHolds(req, Object.prototype.hasOwnProperty.call(l, req.key) ? l[req.key] : undefined)) return false;
      }
      return true;
    },
  };
}

/** A value that no selector names, standing for "some other value" in satisfiability checks. */
const OTHER_VALUE = '\u0000stagewall-other';

/**
 * Could some object whose labels agree with `fixed` be matched by the selector? Keys in `fixed`
 * are pinned (`null` pins the key as absent); every other key may take any value or be absent,
 * except keys in `present`, which always exist (e.g. `kubernetes.io/metadata.name`).
 * This is how a peer is resolved conservatively: to everything it *may* match.
 */
export function mayMatch(
  selector: CompiledSelector,
  fixed: Readonly<Record<string, string | null>>,
  present: readonly string[] = [],
): boolean {
  const byKey = new Map<string, Requirement[]>();
  for (const req of selector.requirements) {
    const list = byKey.get(req.key);
    if (list) list.push(req);
    else byKey.set(req.key, [req]);
  }
  for (const [key, reqs] of byKey) {
    if (Object.prototype.hasOwnProperty.call(fixed, key)) {
      const value = fixed[key] ?? undefined;
      if (!reqs.every((r) => requirementHolds(r, value))) return false;
      continue;
    }
    const candidates: (string | undefined)[] = [OTHER_VALUE];
    if (!present.includes(key)) candidates.push(undefined);
    for (const r of reqs) for (const v of r.values) candidates.push(v);
    if (!candidates.some((value) => reqs.every((r) => requirementHolds(r, value)))) return false;
  }
  return true;
}

/**
 * The values the selector allows for `key`, when it pins the key to a finite set (matchLabels or
 * In, less any NotIn values; empty under DoesNotExist); `undefined` when any value could match.
 */
export function pinnedValues(selector: CompiledSelector, key: string): ReadonlySet<string> | undefined {
  let pinned: Set<string> | undefined;
  for (const req of selector.requirements) {
    if (req.key !== key || req.operator !== 'In') continue;
    pinned = pinned ? new Set([...pinned].filter((v) => req.values.has(v))) : new Set(req.values);
  }
  if (!pinned) return undefined;
  for (const req of selector.requirements) {
    if (req.key !== key) continue;
    if (req.operator === 'DoesNotExist') pinned.clear();
    else if (req.operator === 'NotIn') for (const v of req.values) pinned.delete(v);
  }
  return pinned;
}
