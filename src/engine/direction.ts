// One direction of traffic, and what each side of the config and of a policy holds for it: the
// ingress/egress pairs read through one place instead of a ternary at every use.
import type { ExternalEndpoint, Stage } from '../config/model.js';
import type { CompiledPolicy, CompiledRule, Direction } from './policies.js';

/** The policy's rules of that direction. */
export function rulesOf(policy: CompiledPolicy, direction: Direction): readonly CompiledRule[] {
  return direction === 'ingress' ? policy.ingressRules : policy.egressRules;
}

/** Whether the policy's effective policyTypes include the direction. */
export function hasPolicyType(policy: CompiledPolicy, direction: Direction): boolean {
  return direction === 'ingress' ? policy.ingress : policy.egress;
}

/** The policyTypes entry of the direction: `Ingress` or `Egress`. */
export function policyTypeOf(direction: Direction): 'Ingress' | 'Egress' {
  return direction === 'ingress' ? 'Ingress' : 'Egress';
}

/** The field of a policy rule that lists its peers: `from` or `to`. */
export function peerFieldOf(direction: Direction): 'from' | 'to' {
  return direction === 'ingress' ? 'from' : 'to';
}

/** The stages a stage may receive from (ingress) or send to (egress). */
export function flowStagesOf(stage: Stage, direction: Direction): ReadonlySet<string> {
  return direction === 'ingress' ? stage.ingressFrom : stage.egressTo;
}

/** The namespaces a stage may receive from or send to. */
export function flowNamespacesOf(stage: Stage, direction: Direction): ReadonlySet<string> {
  return direction === 'ingress' ? stage.ingressNamespaces : stage.egressNamespaces;
}

/** The external CIDRs (and their ports) a stage approves in that direction. */
export function approvedExternalOf(stage: Stage, direction: Direction): readonly ExternalEndpoint[] {
  return direction === 'ingress' ? stage.ingressExternal : stage.egressExternal;
}
