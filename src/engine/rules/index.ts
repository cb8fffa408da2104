// The rule catalog: every rule stagewall knows, in the order the docs list them.
import type { Rule } from '../rule.js';
import { egressUncovered, ingressUncovered } from './coverage.js';
import { flowBlocked } from './flow-blocked.js';
import { managedPolicyProtected } from './managed-policy.js';
import { pipelineUnknown } from './pipeline-unknown.js';
import { egressExternal, egressFlow, egressOpen, ingressExternal, ingressFlow, ingressOpen } from './policy-peers.js';
import { hostNetwork, stageLabelMissing, stageUnknown } from './stage-labels.js';

export const RULES: readonly Rule[] = [
  stageLabelMissing,
  stageUnknown,
  hostNetwork,
  ingressUncovered,
  egressUncovered,
  pipelineUnknown,
  ingressOpen,
  egressOpen,
  ingressFlow,
  egressFlow,
  ingressExternal,
  egressExternal,
  flowBlocked,
  managedPolicyProtected,
] as Rule[];

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
