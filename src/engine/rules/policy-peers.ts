// The three peer rules of a NetworkPolicy, per direction: -open (a rule or peer admits
// everything), -flow (a peer may match pods outside the declared flow), -external (an ipBlock
// reaches beyond the approved CIDRs).
import { rangeToCidrs, rangesWithin, subtract } from '../cidr.js';
import { formatSelector } from '../format.js';
import { describeAllowed, describeTarget, targetAllowed } from '../peers.js';
import type { CompiledPeer, Direction } from '../policies.js';
import { defineRule } from '../rule.js';
import type { PeerAnalysis, PolicySubject } from '../subjects.js';

function where(subject: PolicySubject, direction: Direction, entry: PeerAnalysis): string {
  const peer = entry.peerNumber === undefined ? '' : `, peer ${entry.peerNumber}`;
  return `${subject.display}: ${direction} rule ${entry.ruleNumber}${peer}`;
}

function describePeer(subject: PolicySubject, direction: Direction, entry: PeerAnalysis): string {
  const rules = direction === 'ingress' ? subject.policy.ingressRules : subject.policy.egressRules;
  const peer: CompiledPeer | undefined = entry.peerNumber === undefined ? undefined : rules[entry.ruleNumber - 1]?.peers[entry.peerNumber - 1];
  if (!peer) return '';
  const parts: string[] = [];
  if (peer.raw.namespaceSelector) parts.push(`namespaceSelector ${formatSelector(peer.raw.namespaceSelector)}`);
  if (peer.raw.podSelector) parts.push(`podSelector ${formatSelector(peer.raw.podSelector)}`);
  if (peer.raw.ipBlock) parts.push(`ipBlock ${peer.raw.ipBlock.cidr}`);
  return ` (${parts.join(' ')})`;
}

/** Rules in a direction the policy's effective policyTypes leave out are ignored by Kubernetes. */
function judged(subject: PolicySubject, direction: Direction): boolean {
  return subject.selectedStages.length > 0 && (direction === 'ingress' ? subject.policy.ingress : subject.policy.egress);
}

const verbs = {
  ingress: { admit: 'admits every source', receive: 'receives from', peers: 'sources' },
  egress: { admit: 'allows every destination', receive: 'sends to', peers: 'destinations' },
} as const;

function openRule(direction: Direction) {
  return defineRule({
    id: `${direction}-open`,
    severity: 'deny',
    appliesTo: 'NetworkPolicy',
    description: `An ${direction} rule of a policy selecting pipeline pods must not admit every peer (no peers, namespaceSelector {} alone, or a /0 ipBlock).`,
    subject: 'policy',
    *check(subject) {
      if (!judged(subject, direction)) return;
      for (const entry of subject.analysis(direction)) {
        if (!entry.open) continue;
        const stages = subject.selectedStages.map((s) => s.id).join(', ');
        yield {
          message:
            `${where(subject, direction, entry)}${describePeer(subject, direction, entry)} ${verbs[direction].admit}: ${entry.open}; it selects stage ${stages}. ` +
            `Fix: list only the allowed ${verbs[direction].peers} (${subject.selectedStages.map((s) => `${s.id}: ${describeAllowed(s, direction)}`).join('; ')}).`,
        };
      }
    },
  });
}

function flowRule(direction: Direction) {
  return defineRule({
    id: `${direction}-flow`,
    severity: 'deny',
    appliesTo: 'NetworkPolicy',
    description:
      direction === 'ingress'
        ? 'An ingress peer may only match stages, pipelines or namespaces the selected stage receives from.'
        : "An egress peer may only match the selected stage's egressTo stages and egressNamespaces.",
    subject: 'policy',
    *check(subject, { config }) {
      if (!judged(subject, direction)) return;
      for (const entry of subject.analysis(direction)) {
        if (entry.open) continue;
        const problems: string[] = [];
        for (const stage of subject.selectedStages) {
          const outside = entry.targets.filter((t) => t.kind !== 'external' && !targetAllowed(t, stage, direction, config));
          if (outside.length === 0) continue;
          problems.push(
            `stage ${stage.id} ${verbs[direction].receive} ${describeAllowed(stage, direction)}, but the peer may match ${outside.map(describeTarget).join(', ')}`,
          );
        }
        if (problems.length === 0) continue;
        yield {
          message:
            `${where(subject, direction, entry)}${describePeer(subject, direction, entry)} is outside the declared flow: ${problems.join('; ')}. ` +
            'Fix: narrow the peer to the allowed ones (select namespaces by kubernetes.io/metadata.name or the pipeline label, and pods by the stage label), or declare the flow in the stagewall config.',
        };
      }
    },
  });
}

function externalRule(direction: Direction) {
  return defineRule({
    id: `${direction}-external`,
    severity: 'deny',
    appliesTo: 'NetworkPolicy',
    description: `An ipBlock (after except) must lie inside the selected stage's approved ${direction}External CIDRs.`,
    subject: 'policy',
    *check(subject) {
      if (!judged(subject, direction)) return;
      for (const entry of subject.analysis(direction)) {
        if (entry.open) continue;
        const problems: string[] = [];
        for (const target of entry.targets) {
          if (target.kind !== 'external') continue;
          for (const stage of subject.selectedStages) {
            const approved = (direction === 'ingress' ? stage.ingressExternal : stage.egressExternal).map((e) => e.cidr);
            if (rangesWithin(target.ranges, approved)) continue;
            const outside = subtract(target.ranges, approved).flatMap(rangeToCidrs);
            const shown = outside.slice(0, 3).join(', ') + (outside.length > 3 ? `, … (${outside.length} CIDRs)` : '');
            problems.push(
              `${target.text} reaches ${shown}, outside the approved ${direction}External of stage ${stage.id} (${approved.map((c) => c.text).join(', ') || 'none'})`,
            );
          }
        }
        if (problems.length === 0) continue;
        yield {
          message: `${where(subject, direction, entry)}: ${problems.join('; ')}. Fix: narrow the ipBlock (or add except entries), or approve the CIDR in ${direction}External of the stage.`,
        };
      }
    },
  });
}

export const ingressOpen = openRule('ingress');
export const egressOpen = openRule('egress');
export const ingressFlow = flowRule('ingress');
export const egressFlow = flowRule('egress');
export const ingressExternal = externalRule('ingress');
export const egressExternal = externalRule('egress');
