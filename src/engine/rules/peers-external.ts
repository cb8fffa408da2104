// ingress-external and egress-external: an ipBlock (after except) reaches beyond the selected
// stage's approved CIDRs, or opens ports they do not approve.
import type { PortSpec, StagewallConfig } from '../../config/model.js';
import { clipRanges, rangeContains, rangesWithin, sameRange, someCidrs, subtract, type IpRange } from '../../shared/cidr.js';
import { ALL_PORTS, formatPorts, isEmpty, portSetOfSpecs, subtract as subtractPorts, unionAll, type PortSet } from '../../shared/ports.js';
import { approvedExternalOf } from '../direction.js';
import { servedPorts } from '../flow.js';
import type { Target } from '../peers.js';
import type { CompiledRule, Direction } from '../policies.js';
import { rulePorts, type IpEndpoint } from '../reachability.js';
import { defineRule } from '../rule.js';
import type { PolicySubject } from '../subjects.js';
import { judged, podOf, portFindings, where } from './peers-common.js';

/** An address outside the pods, as a destination: named ports open nothing there. */
const AN_ADDRESS: IpEndpoint = { ip: '0.0.0.0' };

/**
 * Ports a rule opens to or from approved external CIDRs beyond the ports approved for them. An
 * address may use the ports of every entry that contains it (CIDRs nest or are disjoint); an
 * entry without ports approves every port, on ingress the stage's declared ones (as `generate`
 * writes them). Addresses outside every entry are the CIDR check's finding.
 */
function externalPortProblems(
  subject: PolicySubject,
  direction: Direction,
  rule: CompiledRule,
  allTargets: readonly Target[],
  config: StagewallConfig,
): string[] {
  const targets = allTargets.filter((t): t is Extract<Target, { kind: 'external' }> => t.kind === 'external');
  if (targets.length === 0) return [];
  const problems: string[] = [];
  for (const stage of subject.selectedStages) {
    const approved = approvedExternalOf(stage, direction);
    const portsOf = (ports: readonly PortSpec[]): PortSet =>
      ports.length > 0 ? portSetOfSpecs(ports) : direction === 'ingress' ? (servedPorts(stage) ?? ALL_PORTS) : ALL_PORTS;
    // On ingress the stage's pods are the destination (named ports are theirs); an address has none.
    const opened = rulePorts(rule, direction === 'ingress' ? podOf(stage, subject.policy.namespace, rule, config) : AN_ADDRESS, true);
    for (const target of targets) {
      for (const entry of approved) {
        const range: IpRange = entry.cidr;
        const nested = approved.filter((e) => rangeContains(range, e.cidr) && !sameRange(e.cidr, range)).map((e) => e.cidr as IpRange);
        const part = subtract(clipRanges(target.ranges, range), nested);
        if (part.length === 0) continue;
        const allowed = unionAll(approved.filter((e) => rangeContains(e.cidr, range)).map((e) => portsOf(e.ports)));
        const extra = subtractPorts(opened, allowed);
        if (isEmpty(extra)) continue;
        const shown = rule.ports.length === 0 ? 'any port (it lists no ports)' : formatPorts(extra).join(', ');
        problems.push(
          `${target.text} opens ${shown} for ${someCidrs(part, 3).shown.join(', ')}, where stage ${stage.id} approves ${formatPorts(allowed).join(', ')} (${entry.cidr.text})`,
        );
      }
    }
  }
  return problems;
}

function externalRule(direction: Direction) {
  return defineRule({
    id: `${direction}-external`,
    severity: 'deny',
    appliesTo: 'NetworkPolicy',
    description: `An ipBlock (after except) must lie inside the selected stage's approved ${direction}External CIDRs, and open only their ports.`,
    subject: 'policy',
    *check(subject, { config }) {
      if (!judged(subject, direction)) return;
      for (const entry of subject.analysis(direction)) {
        if (entry.open) continue;
        const problems: string[] = [];
        for (const target of entry.targets) {
          if (target.kind !== 'external') continue;
          for (const stage of subject.selectedStages) {
            const approved = approvedExternalOf(stage, direction).map((e) => e.cidr);
            if (rangesWithin(target.ranges, approved)) continue;
            const outside = someCidrs(subtract(target.ranges, approved), 3);
            const shown = outside.shown.join(', ') + (outside.count > 3 ? `, … (${outside.count} CIDRs)` : '');
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
      yield* portFindings(
        subject,
        direction,
        (rule, targets) => externalPortProblems(subject, direction, rule, targets, config),
        (n, problems) =>
          `${subject.display}: ${direction} rule ${n} opens ports the approved ${direction}External entries do not: ${problems}. ` +
          `Fix: list only the approved ports in the rule's ports, or add them to the entry's ports in ${direction}External.`,
      );
    },
  });
}

export const ingressExternal = externalRule('ingress');
export const egressExternal = externalRule('egress');
