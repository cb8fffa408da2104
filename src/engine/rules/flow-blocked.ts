// flow-blocked: a declared edge of the flow that the policies in the view do not let through (a
// broken pipeline). The finding is about a pipeline, not one object, so it is reported on the
// Namespace whose policies drop the traffic: the source's namespace when its egress blocks, the
// destination's when its ingress does. That keeps one engine and the SPEC §6 report shape:
// `check` judges the Namespace objects of its manifests. It is a pipeline-level rule: its cost
// grows with the whole flow, so the webhook never runs it on an admission.
import type { Stage } from '../../config/model.js';
import { formatPorts, isEmpty, type PortSet } from '../../shared/ports.js';
import { declaredFlow, type PlacementPair } from '../flow.js';
import { stagePolicyName } from '../../shared/names.js';
import { pipelineOfNamespace } from '../peers.js';
import { defineRule } from '../rule.js';

function portsText(ports: PortSet): string {
  const list = formatPorts(ports);
  return list[0] === 'any port' ? 'any port' : list.join(', ');
}

function problemOf(from: Stage, to: Stage, pair: PlacementPair, namespace: string): { problems: string[]; fixes: string[] } {
  const problems: string[] = [];
  const fixes: string[] = [];
  const servesNothing = to.ports.length === 0;
  const disjoint = servesNothing && !isEmpty(pair.egress) && !isEmpty(pair.ingress);
  if (disjoint && pair.toNamespace === namespace) {
    problems.push(
      `stage ${from.id} may send only on ${portsText(pair.egress)} and stage ${to.id} admits it only on ${portsText(pair.ingress)}, so no port is open both ways`,
    );
  }
  if (!disjoint && pair.fromNamespace === namespace && pair.egressBlocks && !isEmpty(pair.egressBlocks)) {
    problems.push(
      `no NetworkPolicy of namespace ${namespace} lets stage ${from.id} send to stage ${to.id} (namespace ${pair.toNamespace}) on ${portsText(pair.egressBlocks)}`,
    );
    fixes.push(
      `an egress rule on ${from.id} that reaches ${to.id}${servesNothing ? '' : ` on ${portsText(pair.egressBlocks)}`} (as in ${stagePolicyName(from)} from \`stagewall generate\`)`,
    );
  }
  if (!disjoint && pair.toNamespace === namespace && pair.ingressBlocks && !isEmpty(pair.ingressBlocks)) {
    problems.push(
      `no NetworkPolicy of namespace ${namespace} admits stage ${from.id} (namespace ${pair.fromNamespace}) into stage ${to.id} on ${portsText(pair.ingressBlocks)}`,
    );
    fixes.push(
      `an ingress rule on ${to.id} that admits ${from.id}${servesNothing ? '' : ` on ${portsText(pair.ingressBlocks)}`} (as in ${stagePolicyName(to)} from \`stagewall generate\`)`,
    );
  }
  if (disjoint && pair.toNamespace === namespace)
    fixes.push(`egress and ingress rules that open a common port (as in ${stagePolicyName(from)} and ${stagePolicyName(to)} from \`stagewall generate\`)`);
  return { problems, fixes };
}

export const flowBlocked = defineRule({
  id: 'flow-blocked',
  severity: 'warn',
  appliesTo: 'Namespace (the declared flow of its stages)',
  description:
    "A declared stage-to-stage edge must be let through by the policies in the view: the source's egress and the destination's ingress, on the ports the destination serves.",
  subject: 'namespace',
  pipelineLevel: true,
  *check(subject, { config, view }) {
    if (!pipelineOfNamespace(subject.namespace, config)) return;
    const namespace = subject.namespace.name;
    const { edgesByNamespace, workloads } = declaredFlow(config, view);
    // Said per stage: a stage with no workload in the view is judged on a representative pod.
    const standIns = (...stages: Stage[]) => {
      const names = stages.filter((s, i) => (workloads.get(s.id) ?? []).length === 0 && stages.indexOf(s) === i).map((s) => s.id);
      return names.length === 0
        ? ''
        : ` (judged on a representative pod for ${names.map((n) => `stage ${n}`).join(' and ')}: no workload of ${names.length === 1 ? 'it' : 'them'} in the view)`;
    };
    for (const { from, to, pairs } of edgesByNamespace.get(namespace) ?? []) {
      for (const pair of pairs) {
        if (!pair.blocked || (pair.fromNamespace !== namespace && pair.toNamespace !== namespace)) continue;
        const { problems, fixes } = problemOf(from, to, pair, namespace);
        if (problems.length === 0) continue; // blocked on the other namespace's side: reported there
        const where = pair.fromNamespace === pair.toNamespace ? `namespace ${namespace}` : `namespaces ${pair.fromNamespace} -> ${pair.toNamespace}`;
        yield {
          message:
            `${subject.display}: the declared flow ${from.id} -> ${to.id} (${where}) is blocked${standIns(from, to)}: ${problems.join('; ')}. ` +
            `Fix: add ${fixes.join(', and ')}; or, if the flow is gone, remove the edge from the stagewall config.`,
        };
      }
    }
  },
});
