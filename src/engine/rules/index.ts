// The rule catalog: every rule stagewall knows, in the order the docs list them.
import type { AnyRule, Rule, RulesBySubject } from '../rule.js';
import type { SubjectType } from '../subjects.js';
import { egressUncovered, ingressUncovered } from './coverage.js';
import { flowBlocked } from './flow-blocked.js';
import { managedPolicyProtected } from './managed-policy.js';
import { pipelineLabelRemoved } from './pipeline-label-removed.js';
import { pipelineUnknown } from './pipeline-unknown.js';
import { egressExternal, ingressExternal } from './peers-external.js';
import { egressFlow, ingressFlow } from './peers-flow.js';
import { egressOpen, ingressOpen } from './peers-open.js';
import { hostNetwork, pipelineLabelMismatch, stageLabelMissing, stageUnknown } from './stage-labels.js';

export const RULES: readonly AnyRule[] = [
  stageLabelMissing,
  stageUnknown,
  pipelineLabelMismatch,
  hostNetwork,
  ingressUncovered,
  egressUncovered,
  pipelineUnknown,
  pipelineLabelRemoved,
  ingressOpen,
  egressOpen,
  ingressFlow,
  egressFlow,
  ingressExternal,
  egressExternal,
  flowBlocked,
  managedPolicyProtected,
];

function isRuleOf<T extends SubjectType>(rule: AnyRule, type: T): rule is Extract<AnyRule, Rule<T>> {
  return rule.subject === type;
}

function rulesOf<T extends SubjectType>(type: T): readonly Rule<T>[] {
  return RULES.filter((rule) => isRuleOf(rule, type));
}

/** The catalog by subject type, in catalog order, so an admission runs only the rules that apply to it. */
export const RULES_BY_SUBJECT: RulesBySubject = {
  pod: rulesOf('pod'),
  policy: rulesOf('policy'),
  namespace: rulesOf('namespace'),
  'policy-change': rulesOf('policy-change'),
};
