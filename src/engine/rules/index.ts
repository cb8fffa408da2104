// The rule catalog: every rule stagewall knows, in the order the docs list them.
import type { Rule } from '../rule.js';
import { egressUncovered, ingressUncovered } from './coverage.js';
import { flowBlocked } from './flow-blocked.js';
import { managedPolicyProtected } from './managed-policy.js';
import { pipelineLabelRemoved } from './pipeline-label-removed.js';
import { pipelineUnknown } from './pipeline-unknown.js';
import { egressExternal, ingressExternal } from './peers-external.js';
import { egressFlow, ingressFlow } from './peers-flow.js';
import { egressOpen, ingressOpen } from './peers-open.js';
import { hostNetwork, pipelineLabelMismatch, stageLabelMissing, stageUnknown } from './stage-labels.js';

export const RULES: readonly Rule[] = [
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
] as Rule[];

/** The catalog by subject type, so an admission runs only the rules that apply to it. */
export const RULES_BY_SUBJECT: ReadonlyMap<string, readonly Rule[]> = new Map(
  [...new Set(RULES.map((r) => r.subject))].map((type) => [type, RULES.filter((r) => r.subject === type)]),
);
