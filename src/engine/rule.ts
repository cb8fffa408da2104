// The rule contract. A rule is one module: an id, a severity, what it applies to, a description
// for the catalog, and a pure check over one kind of subject.
import type { StagewallConfig } from '../config/model.js';
import type { Subject, SubjectType } from './subjects.js';
import type { View } from './view.js';

export type Severity = 'deny' | 'warn';

export interface Violation {
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
}

/** What a check reports; severity defaults to the rule's own. */
export interface Finding {
  readonly message: string;
  readonly severity?: Severity;
}

export interface RuleContext {
  readonly config: StagewallConfig;
  readonly view: View;
}

export interface Rule<T extends SubjectType = SubjectType> {
  readonly id: string;
  readonly severity: Severity;
  /** Which objects, for the catalog (e.g. "Pod, workload templates"). */
  readonly appliesTo: string;
  /** What it checks, one sentence, for the catalog and the docs. */
  readonly description: string;
  readonly subject: T;
  /**
   * A finding about a whole pipeline rather than one object (its cost grows with the flow, not
   * the object): run by `check` only, never on the webhook's admission path.
   */
  readonly pipelineLevel?: boolean;
  check(subject: SubjectOf<T>, ctx: RuleContext): Iterable<Finding>;
}

/** The subject a rule of subject type `T` judges. */
export type SubjectOf<T extends SubjectType> = Extract<Subject, { type: T }>;

/** A rule of some subject type: the union of `Rule<'pod'>`, `Rule<'policy'>`, …, so a catalog of them needs no cast. */
export type AnyRule = { [T in SubjectType]: Rule<T> }[SubjectType];

/** The catalog by subject type: each subject type's rules, typed by it. */
export type RulesBySubject = { readonly [T in SubjectType]: readonly Rule<T>[] };

/** Keeps the subject type of a rule literal narrow without repeating it. */
export function defineRule<T extends SubjectType>(rule: Rule<T>): Rule<T> {
  return rule;
}
