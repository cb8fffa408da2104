// What the peer rules of a NetworkPolicy share (-open, -flow and -external, per direction): where
// a rule or peer is, how a peer reads, whether a direction is judged, and one finding per rule.
import type { Stage, StagewallConfig } from '../../config/model.js';
import { hasPolicyType, rulesOf } from '../direction.js';
import { representativePod } from '../flow.js';
import { formatSelector } from '../format.js';
import type { Target } from '../peers.js';
import type { CompiledPeer, CompiledRule, Direction } from '../policies.js';
import type { PodEndpoint } from '../reachability.js';
import type { Finding } from '../rule.js';
import type { PeerAnalysis, PolicySubject } from '../subjects.js';

export function where(subject: PolicySubject, direction: Direction, entry: PeerAnalysis): string {
  const peer = entry.peerNumber === undefined ? '' : `, peer ${entry.peerNumber}`;
  return `${subject.display}: ${direction} rule ${entry.ruleNumber}${peer}`;
}

export function describePeer(subject: PolicySubject, direction: Direction, entry: PeerAnalysis): string {
  const rules = rulesOf(subject.policy, direction);
  const peer: CompiledPeer | undefined = entry.peerNumber === undefined ? undefined : rules[entry.ruleNumber - 1]?.peers[entry.peerNumber - 1];
  if (!peer) return '';
  const parts: string[] = [];
  if (peer.raw.namespaceSelector) parts.push(`namespaceSelector ${formatSelector(peer.raw.namespaceSelector)}`);
  if (peer.raw.podSelector) parts.push(`podSelector ${formatSelector(peer.raw.podSelector)}`);
  if (peer.raw.ipBlock) parts.push(`ipBlock ${peer.raw.ipBlock.cidr}`);
  return ` (${parts.join(' ')})`;
}

/** Rules in a direction the policy's effective policyTypes leave out are ignored by Kubernetes. */
export function judged(subject: PolicySubject, direction: Direction): boolean {
  return subject.selectedStages.length > 0 && hasPolicyType(subject.policy, direction);
}

export const verbs = {
  ingress: { admit: 'admits every source', receive: 'receives from', peers: 'sources' },
  egress: { admit: 'allows every destination', receive: 'sends to', peers: 'destinations' },
} as const;

/**
 * A pod of `stage` as a rule's destination: the stage's declared named ports, plus any other name
 * the rule lists. Real pods may well have a container port of that name (its number unknown here),
 * so a named port the stage does not declare counts as opened, not as nothing.
 */
export function podOf(stage: Stage, namespace: string, rule: CompiledRule, config: StagewallConfig): PodEndpoint {
  const pod = representativePod(stage, namespace, config);
  const named = rule.ports.filter((p) => typeof p.port === 'string').map((p) => ({ name: p.port as string, protocol: p.protocol ?? 'TCP' }));
  return { ...pod, containerPorts: [...(pod.containerPorts ?? []), ...named] };
}

/**
 * The analysis entries grouped by rule, in rule order. They come in rule order already, so one
 * pass groups them: filtering all entries once per rule was rules × entries.
 */
function* byRule(analysis: readonly PeerAnalysis[]): Iterable<{ ruleNumber: number; entries: PeerAnalysis[] }> {
  let group: { ruleNumber: number; entries: PeerAnalysis[] } | undefined;
  for (const entry of analysis) {
    if (group && group.ruleNumber === entry.ruleNumber) {
      group.entries.push(entry);
      continue;
    }
    if (group) yield group;
    group = { ruleNumber: entry.ruleNumber, entries: [entry] };
  }
  if (group) yield group;
}

/**
 * One finding per rule (1-based) that `problemsOf` has something to say about, given the rule and
 * everything its peers may match. A rule that admits every peer is the -open rule's finding.
 */
export function* portFindings(
  subject: PolicySubject,
  direction: Direction,
  problemsOf: (rule: CompiledRule, targets: readonly Target[]) => string[],
  message: (ruleNumber: number, problems: string) => string,
): Iterable<Finding> {
  const rules = rulesOf(subject.policy, direction);
  for (const { ruleNumber, entries } of byRule(subject.analysis(direction))) {
    const rule = rules[ruleNumber - 1];
    if (!rule || entries.some((e) => e.open)) continue;
    const problems = problemsOf(
      rule,
      entries.flatMap((e) => e.targets),
    );
    if (problems.length > 0) yield { message: message(ruleNumber, problems.join('; ')) };
  }
}
