// ingress-flow and egress-flow: a peer may match pods outside the declared flow, or a rule opens
// ports a stage does not declare.
import type { Stage, StagewallConfig } from '../../config/model.js';
import { formatPorts, isEmpty, subtract as subtractPorts } from '../../shared/ports.js';
import { servedPorts } from '../flow.js';
import { describeAllowed, describeTarget, targetAllowed, type Target } from '../peers.js';
import type { CompiledRule, Direction } from '../policies.js';
import { rulePorts } from '../reachability.js';
import { defineRule } from '../rule.js';
import type { PolicySubject } from '../subjects.js';
import { describePeer, judged, podOf, portFindings, verbs, where } from './peers-common.js';

/**
 * Ports a rule opens beyond the declared flow: traffic into a stage that declares `ports` is
 * limited to them, whoever sends it (ingress of that stage, egress of its sources). Per rule, for
 * the peers inside the flow (those outside it are the peer check's finding), as the policy writes
 * them: a number is not a name. Stages that declare no ports take any port.
 */
function portProblems(subject: PolicySubject, direction: Direction, rule: CompiledRule, targets: readonly Target[], config: StagewallConfig): string[] {
  const problems: string[] = [];
  const exceeds = (destination: Stage, namespace: string, what: (extra: string, served: string) => string) => {
    const served = servedPorts(destination);
    if (!served) return;
    const extra = subtractPorts(rulePorts(rule, podOf(destination, namespace, rule, config), true), served);
    if (isEmpty(extra)) return;
    problems.push(what(rule.ports.length === 0 ? 'any port (it lists no ports)' : formatPorts(extra).join(', '), formatPorts(served).join(', ')));
  };
  for (const stage of subject.selectedStages) {
    const inFlow = targets.filter((t) => t.kind !== 'external' && targetAllowed(t, stage, direction, config));
    if (inFlow.length === 0) continue;
    if (direction === 'ingress') {
      exceeds(stage, subject.policy.namespace, (extra, served) => `stage ${stage.id} serves ${served}, but the rule also admits ${extra}`);
      continue;
    }
    const seen = new Set<string>();
    for (const target of inFlow) {
      if (target.kind !== 'stage' || seen.has(target.stage.id)) continue;
      seen.add(target.stage.id);
      exceeds(
        target.stage,
        target.namespace ?? '',
        (extra, served) => `stage ${target.stage.id} serves ${served}, but the rule also opens ${extra} towards it from stage ${stage.id}`,
      );
    }
  }
  return problems;
}

function flowRule(direction: Direction) {
  return defineRule({
    id: `${direction}-flow`,
    severity: 'deny',
    appliesTo: 'NetworkPolicy',
    description:
      direction === 'ingress'
        ? 'An ingress peer may only match stages, pipelines or namespaces the selected stage receives from, and only on the ports the stage declares.'
        : "An egress peer may only match the selected stage's egressTo stages and egressNamespaces, and a stage only on the ports it declares.",
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
      yield* portFindings(
        subject,
        direction,
        (rule, targets) => portProblems(subject, direction, rule, targets, config),
        (n, problems) =>
          `${subject.display}: ${direction} rule ${n} opens ports outside the declared flow: ${problems}. ` +
          "Fix: list only the declared ports in the rule's ports (stagewall generate writes them), or declare the ports in the stagewall config.",
      );
    },
  });
}

export const ingressFlow = flowRule('ingress');
export const egressFlow = flowRule('egress');
