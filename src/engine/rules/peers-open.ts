// ingress-open and egress-open: a rule or peer of a policy selecting pipeline pods admits every
// peer (no peers, namespaceSelector {} alone, or a /0 ipBlock).
import type { Direction } from '../policies.js';
import { describeAllowed } from '../peers.js';
import { defineRule } from '../rule.js';
import { describePeer, judged, verbs, where } from './peers-common.js';

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

export const ingressOpen = openRule('ingress');
export const egressOpen = openRule('egress');
